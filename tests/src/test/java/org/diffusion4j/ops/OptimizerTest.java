package org.diffusion4j.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.Context;
import org.diffusion4j.D4jException;
import org.bytedeco.pytorch.global.torch;
import org.diffusion4j.Device;
import org.diffusion4j.Status;
import org.diffusion4j.Tensor;
import org.diffusion4j.testing.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * AdamW over several steps against a float64 loop of PyTorch's AdamW formulas and against
 * libtorch's AdamW, clipping against the float64 global norm and libtorch's clip_grad_norm_, EMA
 * against its float64 recurrence; bad arguments. Tolerance 1e-6 relative: a few float32 roundings
 * per element per step.
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
        }
    }

    /** Five steps of libtorch's own AdamW optimizer over three parameter tensors (one 4-D). */
    @Test
    void adamwMatchesLibtorchAdamW() {
        int[][] shapes = {{777}, {3, 3, 8, 16}, {5, 1}};
        List<org.bytedeco.pytorch.Tensor> refs = new ArrayList<>();
        org.bytedeco.pytorch.TensorVector refVector = new org.bytedeco.pytorch.TensorVector();
        for (int k = 0; k < shapes.length; k++) {
            org.bytedeco.pytorch.Tensor r = Torch.tensor(Torch.random(94 + k, numel(shapes[k]), 1f), longs(shapes[k]))
                    .set_requires_grad(true);
            refs.add(r);
            refVector.push_back(r);
        }
        org.bytedeco.pytorch.AdamWOptions options = new org.bytedeco.pytorch.AdamWOptions(3e-3);
        // betas is a std::tuple<double, double>, which libstdc++ lays out last element first
        options.betas().put(1, 0.8);
        options.betas().put(0, 0.95);
        options.eps().put(1e-6);
        options.weight_decay().put(0.1);
        org.bytedeco.pytorch.AdamW torchAdamW = new org.bytedeco.pytorch.AdamW(refVector, options);
        try (Context ctx = Context.create(Device.cpu())) {
            List<Tensor> p = new ArrayList<>();
            List<Tensor> m = new ArrayList<>();
            List<Tensor> v = new ArrayList<>();
            List<Tensor> g = new ArrayList<>();
            for (int k = 0; k < shapes.length; k++) {
                p.add(Tensor.of(ctx, Torch.random(94 + k, numel(shapes[k]), 1f), shapes[k]));
                m.add(Tensor.zeros(ctx, shapes[k]));
                v.add(Tensor.zeros(ctx, shapes[k]));
                g.add(Tensor.empty(ctx, shapes[k]));
            }
            for (int step = 1; step <= 5; step++) {
                for (int k = 0; k < shapes.length; k++) {
                    float[] grad = Torch.random(200 + 10 * step + k, numel(shapes[k]), 2f);
                    g.get(k).copyFrom(grad);
                    refs.get(k).mutable_grad().put(Torch.tensor(grad, longs(shapes[k])));
                }
                Optimizer.adamwStep(ctx, p, m, v, g, new Optimizer.AdamW(3e-3f, 0.8f, 0.95f, 1e-6f, 0.1f), step);
                torchAdamW.step();
            }
            for (int k = 0; k < shapes.length; k++) {
                double e = Torch.relativeError(p.get(k).toArray(), Torch.array(refs.get(k).detach()));
                System.out.printf("adamw vs libtorch AdamW, tensor %d, after 5 steps: relative error %.2e%n", k, e);
                assertTrue(e < 1e-6, "tensor " + k + ": relative error vs libtorch AdamW " + e);
            }
            closeAll(p, m, v, g);
        }
    }

    /** libtorch's clip_grad_norm_ over the .grad of three tensors: the norm, then the scaled gradients. */
    @ParameterizedTest(name = "max_norm {0}")
    @ValueSource(floats = {0.5f, 1e4f})
    void clipMatchesLibtorchClipGradNorm(float maxNorm) {
        int[][] shapes = {{4, 5, 5, 8}, {1}, {33, 3}};
        org.bytedeco.pytorch.TensorVector refs = new org.bytedeco.pytorch.TensorVector();
        try (Context ctx = Context.create(Device.cpu()); Tensor norm = Tensor.empty(ctx, 1).fill(Float.NaN)) {
            List<Tensor> grads = new ArrayList<>();
            for (int k = 0; k < shapes.length; k++) {
                float[] gk = Torch.random(300 + k, numel(shapes[k]), 0.5f + k);
                grads.add(Tensor.of(ctx, gk, shapes[k]));
                org.bytedeco.pytorch.Tensor r = Torch.tensor(new float[numel(shapes[k])], longs(shapes[k])).set_requires_grad(true);
                r.mutable_grad().put(Torch.tensor(gk, longs(shapes[k])));
                refs.push_back(r);
            }
            Optimizer.clipGradNorm(ctx, norm, grads, maxNorm);
            double refNorm = torch.clip_grad_norm_(refs, maxNorm);
            double en = Math.abs(norm.toArray()[0] - refNorm) / refNorm;
            System.out.printf("clip_grad_norm max_norm %g: norm %.6f vs libtorch %.6f (relative error %.2e)%n", maxNorm,
                    norm.toArray()[0], refNorm, en);
            assertTrue(en < 1e-6, "norm relative error " + en);
            for (int k = 0; k < shapes.length; k++) {
                double e = Torch.relativeError(grads.get(k).toArray(), Torch.array(refs.get(k).grad()));
                assertTrue(e < 1e-6, "grads[" + k + "] relative error vs libtorch " + e);
            }
            grads.forEach(Tensor::close);
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
            grads.forEach(Tensor::close);
        }
    }

    /** Every bad value gives a D4jException (or, for Java-side list sizes, IllegalArgumentException) naming it. */
    @Test
    void badArgumentsNameTheValue() {
        try (Context ctx = Context.create(Device.cpu());
                Tensor a = Tensor.zeros(ctx, 3);
                Tensor b = Tensor.zeros(ctx, 3);
                Tensor c = Tensor.zeros(ctx, 3);
                Tensor d = Tensor.zeros(ctx, 3);
                Tensor e = Tensor.zeros(ctx, 3);
                Tensor f = Tensor.zeros(ctx, 3);
                Tensor x4 = Tensor.zeros(ctx, 4);
                Tensor norm = Tensor.zeros(ctx, 1)) {
            List<Tensor> p = List.of(a);
            List<Tensor> m = List.of(b);
            List<Tensor> v = List.of(c);
            List<Tensor> g = List.of(d);
            Optimizer.AdamW h = Optimizer.AdamW.defaults(1e-3f);
            fails("lr is -1", () -> Optimizer.adamwStep(ctx, p, m, v, g, new Optimizer.AdamW(-1f, 0.9f, 0.999f, 1e-8f, 0f), 1));
            fails("lr is nan", () -> Optimizer.adamwStep(ctx, p, m, v, g, new Optimizer.AdamW(Float.NaN, 0.9f, 0.999f, 1e-8f, 0f), 1));
            fails("beta1 is 1", () -> Optimizer.adamwStep(ctx, p, m, v, g, new Optimizer.AdamW(1e-3f, 1f, 0.999f, 1e-8f, 0f), 1));
            fails("beta2 is -0.5", () -> Optimizer.adamwStep(ctx, p, m, v, g, new Optimizer.AdamW(1e-3f, 0.9f, -0.5f, 1e-8f, 0f), 1));
            fails("eps is 0", () -> Optimizer.adamwStep(ctx, p, m, v, g, new Optimizer.AdamW(1e-3f, 0.9f, 0.999f, 0f, 0f), 1));
            fails("weight_decay is -0.1",
                    () -> Optimizer.adamwStep(ctx, p, m, v, g, new Optimizer.AdamW(1e-3f, 0.9f, 0.999f, 1e-8f, -0.1f), 1));
            fails("step is 0", () -> Optimizer.adamwStep(ctx, p, m, v, g, h, 0));
            fails("grads[0] has shape [4] but params[0] has shape [3]", () -> Optimizer.adamwStep(ctx, p, m, v, List.of(x4), h, 1));
            fails("m[0] and v[0] are the same tensor", () -> Optimizer.adamwStep(ctx, p, m, m, g, h, 1));
            fails("params[0] and grads[0] are the same tensor", () -> Optimizer.adamwStep(ctx, p, m, v, p, h, 1));
            fails("m[0] and m[1] are the same tensor",
                    () -> Optimizer.adamwStep(ctx, List.of(a, d), List.of(b, b), List.of(c, e), List.of(f, f), h, 1));
            IllegalArgumentException sizes = assertThrows(IllegalArgumentException.class,
                    () -> Optimizer.adamwStep(ctx, List.of(a, d), m, v, g, h, 1));
            assertTrue(sizes.getMessage().contains("m has 1 tensors but params has 2"), sizes.getMessage());
            IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                    () -> Optimizer.emaUpdate(ctx, List.of(), List.of(), 0.5f));
            assertTrue(empty.getMessage().contains("ema is empty"), empty.getMessage());

            fails("max_norm is -1", () -> Optimizer.clipGradNorm(ctx, norm, g, -1f));
            fails("max_norm is 0", () -> Optimizer.clipGradNorm(ctx, norm, g, 0f));
            fails("max_norm is inf", () -> Optimizer.clipGradNorm(ctx, norm, g, Float.POSITIVE_INFINITY));
            fails("norm has shape [3]", () -> Optimizer.clipGradNorm(ctx, a, g, 1f));
            fails("grads[1] is the norm tensor", () -> Optimizer.clipGradNorm(ctx, norm, List.of(d, norm), 1f));
            fails("grads[0] and grads[1] are the same tensor", () -> Optimizer.clipGradNorm(ctx, norm, List.of(d, d), 1f));

            fails("decay is 1.5", () -> Optimizer.emaUpdate(ctx, m, p, 1.5f));
            fails("decay is -0.25", () -> Optimizer.emaUpdate(ctx, m, p, -0.25f));
            fails("ema[0] has shape [4] but params[0] has shape [3]", () -> Optimizer.emaUpdate(ctx, List.of(x4), p, 0.5f));
            fails("ema[0] and params[0] are the same tensor", () -> Optimizer.emaUpdate(ctx, p, p, 0.5f));
            Tensor closed = Tensor.zeros(ctx, 3);
            closed.close();
            assertThrows(IllegalStateException.class, () -> Optimizer.emaUpdate(ctx, m, List.of(closed), 0.5f));
        }
    }

    private static void fails(String needle, org.junit.jupiter.api.function.Executable call) {
        D4jException e = assertThrows(D4jException.class, call);
        assertTrue(e.status() == Status.INVALID_ARGUMENT || e.status() == Status.SHAPE, e.status() + ": " + e.getMessage());
        assertTrue(e.getMessage().contains(needle), "message '" + e.getMessage() + "' lacks '" + needle + "'");
    }

    private static int numel(int[] shape) {
        return java.util.Arrays.stream(shape).reduce(1, (x, y) -> x * y);
    }

    private static long[] longs(int[] shape) {
        return java.util.Arrays.stream(shape).asLongStream().toArray();
    }

    @SafeVarargs
    private static void closeAll(List<Tensor>... lists) {
        for (List<Tensor> l : lists) {
            l.forEach(Tensor::close);
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
            te.close();
            tp.close();
        }
    }
}
