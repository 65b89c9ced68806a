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
                    + rr.getParams().getParam("mode"), rr.getPrimaryResult());
        }
        StringBuilder md = new StringBuilder("# 3×3 convolution on the CPU\n\n").append(Report.machine())
                .append(String.format("- Measured FMA peak (all threads, `Device.measureCpuFmaPeak()`): **%.1f GFLOP/s**%n", peak))
                .append(Report.command("ConvReport")).append("\n\n")
                .append("Stride 1, pad 1, bias. Backward = data gradient + weight and bias gradients (two GEMMs of the\n")
                .append("forward's size). libtorch: `conv2d` and `convolution_backward`, NCHW, measured again beside\n")
                .append("each of our modes: float32 for DIRECT and the Winograd tiles, bfloat16 tensors for BF16 (ours:\n")
                .append("the context precision BF16, bf16 operands and float32 sums: on AMX tiles where the CPU line says\n")
                .append("so, else VDPBF16PS). GFLOP/s are effective: the direct convolution's FLOPs over the time, so\n")
                .append("Winograd can pass the fp32 FMA peak (\"of peak\"; BF16 rows too, against the same fp32 peak).\n")
                .append("`AUTO`, the default, picks F(4×4, 3×3) for these layers, also on 14×14 and 7×7 maps where its\n")
                .append("tiles overhang the map (`native/src/ops/conv2d.c`, `winograd_tile`). A missing side did not\n")
                .append("run (our BF16 needs the AVX-512 BF16 build).\n\n")
                .append("| shape (N×H×W×C) | mode | pass | ours ms | libtorch ms | ours / libtorch time | ours GFLOP/s | of peak | libtorch GFLOP/s |\n")
                .append("|---|---|---|---|---|---|---|---|---|\n");
        for (String shape : new String[] {"64x32x32x64", "64x16x16x128", "128x28x28x32", "128x14x14x64", "128x7x7x64"}) {
            for (String mode : new String[] {"DIRECT", "WINOGRAD_2X2", "WINOGRAD_4X4", "BF16"}) {
                for (String pass : new String[] {"forward", "backward"}) {
                    Result<?> ours = r.get(pass + "D4j@" + shape + "@" + mode);
                    Result<?> ref = r.get(pass + "Libtorch@" + shape + "@" + mode);
                    if (ours == null && ref == null) {
                        continue;
                    }
                    double flops = ConvBenchmark.flops(shape) * (pass.equals("forward") ? 1 : 2);
                    md.append(String.format("| %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", shape, mode, pass,
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
