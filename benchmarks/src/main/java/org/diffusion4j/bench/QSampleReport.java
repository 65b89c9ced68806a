package org.diffusion4j.bench;

import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;

/**
 * Runs {@link QSampleBenchmark} and {@link CopyBenchmark} in one JMH run and writes a Markdown
 * table: time, achieved GB/s (nominal bytes: q_sample reads x_0 and writes x_t and ε, 12 B per
 * element; a copy 8 B per element; write-allocate traffic is counted for neither), and the
 * fraction of the copy bandwidth measured at the same size and at 64 MiB.
 * Usage: QSampleReport [output.md] (default benchmarks/results/q_sample-cpu.md).
 */
public final class QSampleReport {
    private QSampleReport() {}

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "benchmarks/results/q_sample-cpu.md");
        Collection<RunResult> results = Report.run(QSampleBenchmark.class.getSimpleName(), CopyBenchmark.class.getSimpleName());
        Map<String, Result<?>> byKey = new HashMap<>();
        for (RunResult r : results) {
            String bench = r.getParams().getBenchmark();
            String key = bench.substring(bench.lastIndexOf('.', bench.lastIndexOf('.') - 1) + 1) + "@" + r.getParams().getParam("shape");
            byKey.put(key, r.getPrimaryResult());
        }
        double peak = gbps(byKey.get("CopyBenchmark.d4j@16777216"), 8 * 16777216L);
        StringBuilder md = new StringBuilder();
        md.append("# q_sample on the CPU\n\n").append(Report.machine())
                .append(Report.command("QSampleReport")).append("\n\n")
                .append("Bytes are nominal: q_sample moves 12 B per element (read x_0, write x_t and ε), a copy 8 B.\n")
                .append(String.format("Streaming copy bandwidth (ours, 64 MiB): **%.1f GB/s**; libtorch copy_ at 64 MiB: %.1f GB/s.%n%n",
                        peak, gbps(byKey.get("CopyBenchmark.libtorch@16777216"), 8 * 16777216L)))
                .append("| shape (N×H×W×C) | op | ms | GB/s | vs copy at same size | vs 64 MiB copy | libtorch ms | ours / libtorch time |\n")
                .append("|---|---|---|---|---|---|---|---|\n");
        for (String shape : new String[] {"64x32x32x1", "256x64x64x3"}) {
            long n = Shapes.numel(shape);
            Result<?> q = byKey.get("QSampleBenchmark.d4j@" + shape);
            Result<?> qt = byKey.get("QSampleBenchmark.libtorch@" + shape);
            Result<?> c = byKey.get("CopyBenchmark.d4j@" + shape);
            Result<?> ct = byKey.get("CopyBenchmark.libtorch@" + shape);
            double qg = gbps(q, 12 * n);
            double cg = gbps(c, 8 * n);
            md.append(String.format("| %s | q_sample | %.3f ± %.3f | %.1f | %.0f%% | %.0f%% | %.3f ± %.3f | %.2f |%n", shape,
                    q.getScore(), q.getScoreError(), qg, 100 * qg / cg, 100 * qg / peak, qt.getScore(), qt.getScoreError(),
                    q.getScore() / qt.getScore()));
            md.append(String.format("| %s | copy | %.3f ± %.3f | %.1f | 100%% | %.0f%% | %.3f ± %.3f | %.2f |%n", shape,
                    c.getScore(), c.getScoreError(), cg, 100 * cg / peak, ct.getScore(), ct.getScoreError(),
                    c.getScore() / ct.getScore()));
        }
        // the 64 MiB row is the denominator of the column before last; its error bar belongs in the table too
        Result<?> big = byKey.get("CopyBenchmark.d4j@16777216");
        Result<?> bigt = byKey.get("CopyBenchmark.libtorch@16777216");
        md.append(String.format("| 16777216 (64 MiB) | copy | %.3f ± %.3f | %.1f | 100%% | 100%% | %.3f ± %.3f | %.2f |%n",
                big.getScore(), big.getScoreError(), peak, bigt.getScore(), bigt.getScoreError(), big.getScore() / bigt.getScore()));
        Report.write(out, md.toString());
    }

    private static double gbps(Result<?> r, long bytes) {
        return bytes / (r.getScore() * 1e-3) / 1e9; // score in ms
    }
}
