package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.AbstractTensor;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** q_sample against libtorch evaluating √ᾱ[t]·x_0 + √(1−ᾱ[t])·ε (NCHW, gathered by index_select). */
class QSampleTorchTest {
    @ParameterizedTest
    @ValueSource(strings = {"5x7x7x3", "64x32x32x1", "1x28x28x1"})
    void matchesLibtorch(String dims) {
        int[] s = java.util.Arrays.stream(dims.split("x")).mapToInt(Integer::parseInt).toArray();
        int n = s[0] * s[1] * s[2] * s[3];
        NoiseSchedule schedule = NoiseSchedule.cosine(1000);
        float[] sqrtAb = new float[1000];
        float[] sqrt1mAb = new float[1000];
        for (int t = 0; t < 1000; t++) {
            sqrtAb[t] = (float) Math.sqrt(schedule.alphaBar(t));
            sqrt1mAb[t] = (float) Math.sqrt(1 - schedule.alphaBar(t));
        }
        int[] t = new int[s[0]];
        long[] tl = new long[s[0]];
        for (int i = 0; i < t.length; i++) {
            t[i] = (i * 577 + 123) % 1000;
            tl[i] = t[i];
        }
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) Math.sin(1.7 * i) * 0.8f;
        }
        float[] ours;
        float[] eps;
        try (Context ctx = Context.create(Device.cpu(), 99);
                Tensor x0 = Tensor.of(ctx, x, s);
                Tensor xt = Tensor.empty(ctx, s).fill(Float.NaN);
                Tensor e = Tensor.empty(ctx, s)) {
            GaussianDiffusion.of(schedule).qSample(ctx, xt, e, x0, t);
            ours = xt.toArray();
            eps = e.toArray();
        }
        // libtorch, NCHW: permute our NHWC buffers, compute, permute back
        org.bytedeco.pytorch.Tensor tx = AbstractTensor.create(x, s[0], s[1], s[2], s[3]).permute(0, 3, 1, 2);
        org.bytedeco.pytorch.Tensor te = AbstractTensor.create(eps, s[0], s[1], s[2], s[3]).permute(0, 3, 1, 2);
        org.bytedeco.pytorch.Tensor idx = AbstractTensor.create(tl);
        org.bytedeco.pytorch.Tensor a = AbstractTensor.create(sqrtAb).index_select(0, idx).view(s[0], 1, 1, 1);
        org.bytedeco.pytorch.Tensor b = AbstractTensor.create(sqrt1mAb).index_select(0, idx).view(s[0], 1, 1, 1);
        org.bytedeco.pytorch.Tensor ref = a.mul(tx).add(b.mul(te)).permute(0, 2, 3, 1).contiguous();
        float[] r = new float[n];
        ref.data_ptr_float().get(r);
        double num = 0;
        double den = 0;
        for (int i = 0; i < n; i++) {
            num += (ours[i] - r[i]) * (double) (ours[i] - r[i]);
            den += (double) r[i] * r[i];
        }
        double rel = Math.sqrt(num / den);
        System.out.printf("q_sample %s vs libtorch: relative error %.3g%n", dims, rel);
        assertTrue(rel < 1e-6, "relative error vs libtorch " + rel);
    }
}
