package org.diffusion4j.bench;

import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.diffusion4j.Device;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;

/**
 * Runs {@link ConvBenchmark} and writes a Markdown table: ours (per convolution algorithm) and
 * libtorch in ms, the ratio, and our effective GFLOP/s (the direct convolution's FLOPs over our
 * time, so Winograd can exceed the peak) as a fraction of the FMA peak measured on this machine
 * just before the run.
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
                    + rr.getParams().getParam("algo"), rr.getPrimaryResult());
        }
        StringBuilder md = new StringBuilder("# 3×3 convolution on the CPU\n\n").append(Report.machine())
                .append(String.format("- Measured FMA peak (all threads, `Device.measureCpuFmaPeak()`): **%.1f GFLOP/s**%n", peak))
                .append(Report.command("ConvReport")).append("\n\n")
                .append("Stride 1, pad 1, bias. Backward = data gradient + weight and bias gradients (two GEMMs of the\n")
                .append("forward's size). libtorch: `conv2d` and `convolution_backward`, NCHW, measured again beside\n")
                .append("each of our algorithms. GFLOP/s are effective: the direct convolution's FLOPs over the time.\n")
                .append("`AUTO`, the default, picks F(4×4, 3×3) on the 32×32 and 28×28 maps, F(2×2, 3×3) on 14×14 and\n")
                .append("direct on 7×7 (`native/src/ops/conv2d.c`, `winograd_tile`).\n\n")
                .append("| shape (N×H×W×C) | algorithm | pass | ours ms | libtorch ms | ours / libtorch time | ours GFLOP/s | of peak | libtorch GFLOP/s |\n")
                .append("|---|---|---|---|---|---|---|---|---|\n");
        for (String shape : new String[] {"64x32x32x64", "64x16x16x128", "128x28x28x32", "128x14x14x64", "128x7x7x64"}) {
            for (String algo : new String[] {"DIRECT", "WINOGRAD_2X2", "WINOGRAD_4X4"}) {
                for (String pass : new String[] {"forward", "backward"}) {
                    Result<?> ours = r.get(pass + "D4j@" + shape + "@" + algo);
                    Result<?> ref = r.get(pass + "Libtorch@" + shape + "@" + algo);
                    double flops = ConvBenchmark.flops(shape) * (pass.equals("forward") ? 1 : 2);
                    double g = flops / (ours.getScore() * 1e-3) / 1e9;
                    double gt = flops / (ref.getScore() * 1e-3) / 1e9;
                    md.append(String.format("| %s | %s | %s | %.2f ± %.2f | %.2f ± %.2f | %.2f | %.1f | %.0f%% | %.1f |%n", shape, algo, pass,
                            ours.getScore(), ours.getScoreError(), ref.getScore(), ref.getScoreError(),
                            ours.getScore() / ref.getScore(), g, 100 * g / peak, gt));
                }
            }
        }
        Report.write(out, md.toString());
    }
}
