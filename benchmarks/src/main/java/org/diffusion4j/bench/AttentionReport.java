package org.diffusion4j.bench;

import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;

/**
 * Runs {@link AttentionBenchmark} and writes a Markdown table of ours vs libtorch. Usage:
 * AttentionReport [output.md] (default benchmarks/results/attention-cpu.md).
 */
public final class AttentionReport {
    private AttentionReport() {}

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "benchmarks/results/attention-cpu.md");
        Collection<RunResult> results = Report.run(AttentionBenchmark.class.getSimpleName());
        Map<String, Result<?>> r = new HashMap<>();
        for (RunResult rr : results) {
            String b = rr.getParams().getBenchmark();
            r.put(b.substring(b.lastIndexOf('.') + 1) + "@" + rr.getParams().getParam("tokens"), rr.getPrimaryResult());
        }
        StringBuilder md = new StringBuilder("# Multi-head self-attention on the CPU\n\n").append(Report.machine())
                .append(Report.command("AttentionReport")).append("\n\n")
                .append("Batch 64, 128 channels, 4 heads (D = 32). Ours: fused forward, and forward + backward with\n")
                .append("recomputation from the log-sum-exp. libtorch: scaled_dot_product_attention (no_grad for the forward\n")
                .append("row; autograd forward + backward for the train row).\n\n")
                .append("| tokens | pass | ours ms | libtorch ms | ours / libtorch time |\n|---|---|---|---|---|\n");
        for (String t : new String[] {"64", "256"}) {
            for (String pass : new String[] {"forward", "train"}) {
                Result<?> ours = r.get(pass + "D4j@" + t);
                Result<?> ref = r.get(pass + "Libtorch@" + t);
                md.append(String.format("| %s (%s) | %s | %.2f ± %.2f | %.2f ± %.2f | %.2f |%n", t,
                        t.equals("64") ? "8×8" : "16×16", pass.equals("train") ? "forward + backward" : "forward",
                        ours.getScore(), ours.getScoreError(), ref.getScore(), ref.getScoreError(),
                        ours.getScore() / ref.getScore()));
            }
        }
        Report.write(out, md.toString());
    }
}
