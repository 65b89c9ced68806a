package org.diffusion4j.bench;

import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.diffusion4j.Device;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;

/**
 * Runs {@link ConvBenchmark} and writes a Markdown table: ours and libtorch in ms, the ratio,
 * and our GFLOP/s as a fraction of the FMA peak measured on this machine just before the run.
 * Usage: ConvReport [output.md] (default benchmarks/results/conv-cpu.md).
 */
public final class ConvReport {
    private ConvReport() {}

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "benchmarks/results/conv-cpu.md");
        double peak = 0;
        for (int i = 0; i < 3; i++) {
            peak = Math.max(peak, Device.measureCpuFmaPeak()); // best of three: the machine's capability
        }
        Collection<RunResult> results = Report.run(ConvBenchmark.class.getSimpleName());
        Map<String, Result<?>> r = new HashMap<>();
        for (RunResult rr : results) {
            String b = rr.getParams().getBenchmark();
            r.put(b.substring(b.lastIndexOf('.') + 1) + "@" + rr.getParams().getParam("shape") + "@"
                    + rr.getParams().getParam("precision"), rr.getPrimaryResult());
        }
        StringBuilder md = new StringBuilder("# 3×3 convolution on the CPU\n\n").append(Report.machine())
                .append(String.format("- Measured FMA peak (all threads, `Device.measureCpuFmaPeak()`): **%.1f GFLOP/s**%n", peak))
                .append(Report.command("ConvReport")).append("\n\n")
                .append("Stride 1, pad 1, bias. Backward = data gradient + weight and bias gradients (two GEMMs of the\n")
                .append("forward's size). libtorch: `conv2d` and `convolution_backward`, NCHW. bf16: ours with the\n")
                .append("context precision BF16 (bf16 operands, float32 sums), libtorch on bfloat16 tensors; \"of peak\" is\n")
                .append("against the fp32 FMA peak in both. A missing side did not run (our BF16 needs AVX-512 BF16).\n\n")
                .append("| shape (N×H×W×C) | precision | pass | ours ms | libtorch ms | ours / libtorch time | ours GFLOP/s | of peak | libtorch GFLOP/s |\n")
                .append("|---|---|---|---|---|---|---|---|---|\n");
        for (String shape : new String[] {"64x32x32x64", "64x16x16x128", "128x28x28x32", "128x14x14x64", "128x7x7x128"}) {
            for (String precision : new String[] {"fp32", "bf16"}) {
                for (String pass : new String[] {"forward", "backward"}) {
                    Result<?> ours = r.get(pass + "D4j@" + shape + "@" + precision);
                    Result<?> ref = r.get(pass + "Libtorch@" + shape + "@" + precision);
                    if (ours == null && ref == null) {
                        continue;
                    }
                    double flops = ConvBenchmark.flops(shape) * (pass.equals("forward") ? 1 : 2);
                    md.append(String.format("| %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", shape, precision, pass,
                            ms(ours), ms(ref), ours == null || ref == null ? "" : String.format("%.2f", ours.getScore() / ref.getScore()),
                            ours == null ? "" : String.format("%.1f", gflops(flops, ours)),
                            ours == null ? "" : String.format("%.0f%%", 100 * gflops(flops, ours) / peak),
                            ref == null ? "" : String.format("%.1f", gflops(flops, ref))));
                }
            }
        }
        Report.write(out, md.toString());
    }

    private static String ms(Result<?> r) {
        return r == null ? "did not run" : String.format("%.2f ± %.2f", r.getScore(), r.getScoreError());
    }

    private static double gflops(double flops, Result<?> r) {
        return flops / (r.getScore() * 1e-3) / 1e9;
    }
}
