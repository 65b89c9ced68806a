package org.diffusion4j.bench;

import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.pytorch.AbstractTensor;
import org.bytedeco.pytorch.global.torch;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.nn.Param;
import org.diffusion4j.nn.UNet;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;

/**
 * First checks that the libtorch twin computes our U-Net's function (forward in both memory
 * formats, and every parameter's gradient), then runs {@link UNetStepBenchmark} and writes a
 * Markdown table of ours vs libtorch. Usage: UNetStepReport [output.md] (default
 * benchmarks/results/unet-step-cpu.md).
 */
public final class UNetStepReport {
    private UNetStepReport() {}

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "benchmarks/results/unet-step-cpu.md");
        String check = checkTwin(null);
        System.out.println(check);
        Collection<RunResult> results = Report.run(UNetStepBenchmark.class.getSimpleName());
        Map<String, Result<?>> r = new HashMap<>();
        java.util.Set<String> precisions = new java.util.TreeSet<>(java.util.Comparator.reverseOrder()); // fp32 first
        for (RunResult rr : results) {
            String b = rr.getParams().getBenchmark();
            String format = rr.getParams().getParam("format");
            String precision = rr.getParams().getParam("precision");
            precisions.add(precision);
            r.put(b.substring(b.lastIndexOf('.') + 1) + "@" + rr.getParams().getParam("batch")
                    + (format == null ? "" : "@" + format) + "@" + precision, rr.getPrimaryResult());
        }
        StringBuilder md = new StringBuilder("# Whole U-Net steps on the CPU\n\n").append(Report.machine())
                .append("- libtorch intra-op threads: ").append(torch.get_num_threads())
                .append("\n").append(Report.command("UNetStepReport")).append("\n\n")
                .append("The Fashion-MNIST preset (28×28×1, base 32 ×[1, 2, 2], attention at 7×7, 1.1M parameters, dropout\n")
                .append("off as in the main job). **train**: q_sample, forward, MSE, backward, clipping, AdamW, EMA, loss read\n")
                .append("back (ours: `Trainer.trainStep`; libtorch: autograd, its AdamW, clip_grad_norm_, lerp_). **sample**:\n")
                .append("one DDIM step with guidance w = 3 — x_T drawn, conditional and unconditional predictions, the\n")
                .append("clipped update (ours: a one-step `DdimSampler`; libtorch: the same under no_grad). libtorch runs our\n")
                .append("network rewritten with its functional ops (`TorchUNet`), in NCHW and in channels-last; the ratio\n")
                .append("column divides by the faster of the two. **bf16** rows (`-Dbench.param.precision=fp32,bf16`): ours\n")
                .append("with `Precision.BF16` (bf16 operands, float32 sums, on AMX tiles where the CPU line says so; needs\n")
                .append("AVX-512 BF16), libtorch under CPU autocast to bfloat16 around the forward passes.\n\n")
                .append(check).append("\n\n")
                .append("| precision | batch | step | ours ms | libtorch NCHW ms | libtorch channels-last ms | ours / best libtorch |\n")
                .append("|---|---|---|---|---|---|---|\n");
        for (String precision : precisions) {
            for (String batch : new String[] {"1", "128"}) {
                for (String step : new String[] {"train", "sample"}) {
                    Result<?> ours = r.get(step + "Ours@" + batch + "@" + precision);
                    Result<?> nchw = r.get(step + "Libtorch@" + batch + "@nchw@" + precision);
                    Result<?> cl = r.get(step + "Libtorch@" + batch + "@channels_last@" + precision);
                    if (ours == null || nchw == null || cl == null) continue; // a side that did not run
                    double best = Math.min(nchw.getScore(), cl.getScore());
                    md.append(String.format("| %s | %s | %s | %.2f ± %.2f | %.2f ± %.2f | %.2f ± %.2f | %.2f |%n", precision,
                            batch, step, ours.getScore(), ours.getScoreError(), nchw.getScore(), nchw.getScoreError(),
                            cl.getScore(), cl.getScoreError(), ours.getScore() / best));
                }
            }
        }
        Report.write(out, md.toString());
    }

    /**
     * Our U-Net with every parameter perturbed (so zero-initialised layers count), copied into the
     * twin: the relative errors of the output (both formats) and of each parameter's gradient for
     * a random upstream gradient. Throws when they exceed 1e-4: timing different networks would
     * mean nothing. {@code tamper} names a twin parameter to nudge by 1e-3 after the copy (null:
     * none), which the check must catch (TorchUNetTest).
     */
    static String checkTwin(String tamper) {
        int n = 3;
        int[] t = {0, 400, 999};
        int[] labels = {2, 7, UNetStepBenchmark.CONFIG.classes()}; // the last is the null class
        SplittableRandom rnd = new SplittableRandom(11);
        float[] x = new float[n * 28 * 28];
        float[] dOut = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (2 * rnd.nextDouble() - 1);
            dOut[i] = (float) (2 * rnd.nextDouble() - 1);
        }
        try (Context ctx = Context.create(Device.cpu(), 3); UNet net = new UNet(ctx, UNetStepBenchmark.CONFIG);
                Tensor tx = Tensor.of(ctx, x, n, 28, 28, 1); Tensor tdOut = Tensor.of(ctx, dOut, n, 28, 28, 1)) {
            for (Param p : net.parameters()) {
                float[] v = p.value().toArray();
                for (int i = 0; i < v.length; i++) {
                    v[i] += (float) (0.05 * rnd.nextGaussian());
                }
                p.value().copyFrom(v);
            }
            net.zeroGrad();
            float[] ours = net.forward(ctx, tx, t, labels, true).toArray();
            net.backward(ctx, tdOut);
            double worstForward = 0;
            double worstGrad = 0;
            String worstName = "";
            for (boolean channelsLast : new boolean[] {false, true}) {
                TorchUNet twin = new TorchUNet(net, channelsLast);
                if (tamper != null) {
                    twin.nudge(tamper, 1e-3);
                }
                org.bytedeco.pytorch.Tensor tin = AbstractTensor.create(x, n, 28, 28, 1).permute(0, 3, 1, 2);
                tin = channelsLast ? tin.contiguous(torch.MemoryFormat.ChannelsLast) : tin.contiguous();
                org.bytedeco.pytorch.Tensor y = twin.forward(tin, t, labels);
                worstForward = Math.max(worstForward, relativeError(ours, array(y.permute(0, 2, 3, 1))));
                y.mul(AbstractTensor.create(dOut, n, 28, 28, 1).permute(0, 3, 1, 2)).sum().backward();
                List<org.bytedeco.pytorch.Tensor> tp = twin.parameters();
                List<Param> op = net.parameters();
                for (int i = 0; i < op.size(); i++) {
                    org.bytedeco.pytorch.Tensor g = tp.get(i).grad();
                    int dims = op.get(i).value().ndim();
                    g = dims == 4 ? g.permute(2, 3, 1, 0) : dims == 2 ? g.t() : g; // back to our layouts
                    double e = relativeError(op.get(i).grad().toArray(), array(g));
                    if (e > worstGrad) {
                        worstGrad = e;
                        worstName = op.get(i).name();
                    }
                }
            }
            String line = String.format("Twin check (batch 3, labels 2, 7 and null, t = 0, 400, 999, perturbed weights): "
                    + "output relative error %.1e (worst of NCHW and channels-last), worst parameter-gradient relative "
                    + "error %.1e (%s), over %d parameter tensors.", worstForward, worstGrad, worstName,
                    net.parameters().size());
            if (!(worstForward < 1e-4 && worstGrad < 1e-4)) {
                throw new IllegalStateException("the libtorch twin does not compute our U-Net: " + line);
            }
            return line;
        }
    }

    private static float[] array(org.bytedeco.pytorch.Tensor t) {
        org.bytedeco.pytorch.Tensor c = t.contiguous();
        float[] out = new float[(int) c.numel()];
        c.data_ptr_float().get(out);
        return out;
    }

    private static double relativeError(float[] a, float[] b) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.length; i++) {
            num += (double) (a[i] - b[i]) * (a[i] - b[i]);
            den += (double) b[i] * b[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-300));
    }
}
