package org.diffusion4j.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.Context;
import org.diffusion4j.D4jException;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.testing.Torch;
import org.junit.jupiter.api.Test;

/**
 * AdamW over several steps against a float64 loop of PyTorch's AdamW formulas, clipping against
 * the float64 global norm, EMA against its float64 recurrence. Tolerance 1e-6 relative: a few
 * float32 roundings per element per step.
 */
class OptimizerTest {
    private static final int[][] SHAPES = {{3, 3, 5, 7}, {129}, {13, 64}};

    @Test
    void adamwMatchesPyTorchFormulas() {
        Optimizer.AdamW h = new Optimizer.AdamW(1e-2f, 0.9f, 0.99f, 1e-8f, 0.05f);
        List<double[]> p = new ArrayList<>();
        List<double[]> m = new ArrayList<>();
        List<double[]> v = new ArrayList<>();
        try (Context ctx = Context.create(Device.cpu())) {
            List<Tensor> tp = new ArrayList<>();
            List<Tensor> tm = new ArrayList<>();
            List<Tensor> tv = new ArrayList<>();
            List<Tensor> tg = new ArrayList<>();
            for (int[] s : SHAPES) {
                int n = java.util.Arrays.stream(s).reduce(1, (a, b) -> a * b);
                float[] init = Torch.random(80 + n, n, 1f);
                double[] pd = new double[n];
                for (int i = 0; i < n; i++) {
                    pd[i] = init[i];
                }
                p.add(pd);
                m.add(new double[n]);
                v.add(new double[n]);
                tp.add(Tensor.of(ctx, init, s));
                tm.add(Tensor.zeros(ctx, s));
                tv.add(Tensor.zeros(ctx, s));
                tg.add(Tensor.empty(ctx, s));
            }
            for (int step = 1; step <= 5; step++) {
                for (int k = 0; k < SHAPES.length; k++) {
                    float[] g = Torch.random(step * 100 + k, p.get(k).length, 1f);
                    tg.get(k).copyFrom(g);
                    double bc1 = 1 - Math.pow(0.9, step);
                    double bc2 = 1 - Math.pow(0.99, step);
                    for (int i = 0; i < g.length; i++) {
                        double[] pd = p.get(k);
                        pd[i] *= 1 - 1e-2 * 0.05;
                        m.get(k)[i] = 0.9 * m.get(k)[i] + 0.1 * g[i];
                        v.get(k)[i] = 0.99 * v.get(k)[i] + 0.01 * (double) g[i] * g[i];
                        pd[i] -= 1e-2 / bc1 * m.get(k)[i] / (Math.sqrt(v.get(k)[i]) / Math.sqrt(bc2) + 1e-8);
                    }
                }
                Optimizer.adamwStep(ctx, tp, tm, tv, tg, h, step);
            }
            for (int k = 0; k < SHAPES.length; k++) {
                float[] got = tp.get(k).toArray();
                float[] want = new float[got.length];
                for (int i = 0; i < got.length; i++) {
                    want[i] = (float) p.get(k)[i];
                }
                double e = Torch.relativeError(got, want);
                assertTrue(e < 1e-6, "tensor " + k + " after 5 AdamW steps: relative error " + e);
            }
            D4jException step0 = assertThrows(D4jException.class, () -> Optimizer.adamwStep(ctx, tp, tm, tv, tg, h, 0));
            assertTrue(step0.getMessage().contains("step is 0"), step0.getMessage());
            D4jException beta = assertThrows(D4jException.class,
                    () -> Optimizer.adamwStep(ctx, tp, tm, tv, tg, new Optimizer.AdamW(1e-3f, 1f, 0.9f, 1e-8f, 0f), 1));
            assertTrue(beta.getMessage().contains("beta1 is 1"), beta.getMessage());
            D4jException same = assertThrows(D4jException.class, () -> Optimizer.adamwStep(ctx, tp, tm, tm, tg, h, 1));
            assertTrue(same.getMessage().contains("must be distinct"), same.getMessage());
            IllegalArgumentException sizes = assertThrows(IllegalArgumentException.class,
                    () -> Optimizer.adamwStep(ctx, tp, tm.subList(0, 2), tv, tg, h, 1));
            assertTrue(sizes.getMessage().contains("m has 2 tensors"), sizes.getMessage());
        }
    }

    /** The same five steps through libtorch's own AdamW optimizer. */
    @Test
    void adamwMatchesLibtorchAdamW() {
        int n = 777;
        float[] init = Torch.random(94, n, 1f);
        org.bytedeco.pytorch.Tensor ref = Torch.tensor(init, n).set_requires_grad(true);
        org.bytedeco.pytorch.AdamWOptions options = new org.bytedeco.pytorch.AdamWOptions(3e-3);
        // betas is a std::tuple<double, double>, which libstdc++ lays out last element first
        options.betas().put(1, 0.8);
        options.betas().put(0, 0.95);
        options.eps().put(1e-6);
        options.weight_decay().put(0.1);
        org.bytedeco.pytorch.AdamW torchAdamW = new org.bytedeco.pytorch.AdamW(new org.bytedeco.pytorch.TensorVector(ref), options);
        try (Context ctx = Context.create(Device.cpu());
                Tensor p = Tensor.of(ctx, init, n);
                Tensor m = Tensor.zeros(ctx, n);
                Tensor v = Tensor.zeros(ctx, n);
                Tensor g = Tensor.empty(ctx, n)) {
            for (int step = 1; step <= 5; step++) {
                float[] grad = Torch.random(200 + step, n, 2f);
                g.copyFrom(grad);
                Optimizer.adamwStep(ctx, List.of(p), List.of(m), List.of(v), List.of(g),
                        new Optimizer.AdamW(3e-3f, 0.8f, 0.95f, 1e-6f, 0.1f), step);
                ref.mutable_grad().put(Torch.tensor(grad, n));
                torchAdamW.step();
            }
            double e = Torch.relativeError(p.toArray(), Torch.array(ref.detach()));
            System.out.printf("adamw vs libtorch AdamW after 5 steps: relative error %.2e%n", e);
            assertTrue(e < 1e-6, "relative error vs libtorch AdamW " + e);
        }
    }

    @Test
    void clipScalesToTheMaxNorm() {
        try (Context ctx = Context.create(Device.cpu()); Tensor norm = Tensor.empty(ctx, 1).fill(Float.NaN)) {
            float[] a = Torch.random(90, 1000, 1f);
            float[] b = Torch.random(91, 77, 3f);
            double sq = 0;
            for (float x : a) {
                sq += (double) x * x;
            }
            for (float x : b) {
                sq += (double) x * x;
            }
            double total = Math.sqrt(sq);
            List<Tensor> grads = List.of(Tensor.of(ctx, a, 10, 100), Tensor.of(ctx, b, 77));
            Optimizer.clipGradNorm(ctx, norm, grads, 1.0f);
            assertEquals(total, norm.toArray()[0], 1e-6 * total);
            float[] ca = grads.get(0).toArray();
            double coef = 1.0 / (total + 1e-6);
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i] * coef, ca[i], 1e-6 * Math.abs(a[i]) + 1e-9);
            }
            Optimizer.clipGradNorm(ctx, norm, grads, 1e6f); // below the limit: unchanged
            assertEquals(1.0, norm.toArray()[0], 1e-5);
            assertEquals(ca[3], grads.get(0).toArray()[3]);
            D4jException bad = assertThrows(D4jException.class, () -> Optimizer.clipGradNorm(ctx, norm, grads, -1f));
            assertTrue(bad.getMessage().contains("max_norm is -1"), bad.getMessage());
            grads.forEach(Tensor::close);
        }
    }

    @Test
    void emaFollowsItsRecurrence() {
        try (Context ctx = Context.create(Device.cpu())) {
            float[] e0 = Torch.random(92, 500, 1f);
            float[] p = Torch.random(93, 500, 1f);
            Tensor te = Tensor.of(ctx, e0, 500);
            Tensor tp = Tensor.of(ctx, p, 500);
            double[] e = new double[500];
            for (int i = 0; i < 500; i++) {
                e[i] = e0[i];
            }
            for (int s = 0; s < 10; s++) {
                Optimizer.emaUpdate(ctx, List.of(te), List.of(tp), 0.9f);
                for (int i = 0; i < 500; i++) {
                    e[i] = 0.9 * e[i] + 0.1 * p[i];
                }
            }
            float[] got = te.toArray();
            float[] want = new float[500];
            for (int i = 0; i < 500; i++) {
                want[i] = (float) e[i];
            }
            assertTrue(Torch.relativeError(got, want) < 1e-6, "ema relative error " + Torch.relativeError(got, want));
            D4jException bad = assertThrows(D4jException.class,
                    () -> Optimizer.emaUpdate(ctx, List.of(te), List.of(tp), 1.5f));
            assertTrue(bad.getMessage().contains("decay is 1.5"), bad.getMessage());
            te.close();
            tp.close();
        }
    }
}
