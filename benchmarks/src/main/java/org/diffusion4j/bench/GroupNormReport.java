package org.diffusion4j.bench;

import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;

/**
 * Runs {@link GroupNormBenchmark} and writes a Markdown table of ours vs libtorch with the
 * speed-up (libtorch time / ours) and the bytes-moved rate. Usage: GroupNormReport [output.md]
 * (default benchmarks/results/groupnorm-cpu.md).
 */
public final class GroupNormReport {
    private GroupNormReport() {}

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "benchmarks/results/groupnorm-cpu.md");
        Collection<RunResult> results = Report.run(GroupNormBenchmark.class.getSimpleName());
        Map<String, Result<?>> r = new HashMap<>();
        for (RunResult rr : results) {
            String b = rr.getParams().getBenchmark();
            r.put(b.substring(b.lastIndexOf('.') + 1) + "@" + rr.getParams().getParam("shape"), rr.getPrimaryResult());
        }
        StringBuilder md = new StringBuilder("# GroupNorm + SiLU on the CPU\n\n").append(Report.machine())
                .append(Report.command("GroupNormReport")).append("\n\n")
                .append("32 groups. Ours: one fused op each way. libtorch: native_group_norm + silu forward, silu_backward +\n")
                .append("native_group_norm_backward backward (what its autograd runs), NCHW. GB/s counts the minimum traffic:\n")
                .append("forward reads x and writes y (8 B/element), backward reads x and dy and writes dx (12 B/element).\n\n")
                .append("| shape (N×H×W×C) | pass | ours ms | libtorch ms | speed-up (libtorch / ours) | ours GB/s |\n")
                .append("|---|---|---|---|---|---|\n");
        for (String shape : new String[] {"64x32x32x64"}) {
            long elems = Shapes.numel(shape);
            for (String pass : new String[] {"forward", "backward"}) {
                Result<?> ours = r.get(pass + "D4j@" + shape);
                Result<?> ref = r.get(pass + "Libtorch@" + shape);
                double bytes = elems * (pass.equals("forward") ? 8.0 : 12.0);
                md.append(String.format("| %s | %s | %.2f ± %.2f | %.2f ± %.2f | %.2f | %.1f |%n", shape, pass, ours.getScore(),
                        ours.getScoreError(), ref.getScore(), ref.getScoreError(), ref.getScore() / ours.getScore(),
                        bytes / (ours.getScore() * 1e-3) / 1e9));
            }
        }
        Report.write(out, md.toString());
    }
}
