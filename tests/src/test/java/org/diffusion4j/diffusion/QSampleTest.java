package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.Context;
import org.diffusion4j.D4jException;
import org.diffusion4j.Device;
import org.diffusion4j.Status;
import org.diffusion4j.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class QSampleTest {
    private static final NoiseSchedule SCHEDULE = NoiseSchedule.linear(1000);
    private static final GaussianDiffusion DIFFUSION = GaussianDiffusion.of(SCHEDULE);

    private static float[] data(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) Math.cos(0.37 * i) * 0.9f + 0.05f;
        }
        return x;
    }

    /** x_t = √ᾱ x_0 + √(1−ᾱ) ε in float64 from the schedule's own ᾱ, against the fused op. */
    @ParameterizedTest
    @ValueSource(strings = {"3x5x7x2", "64x32x32x1", "1x28x28x1", "17x14x14x3"})
    void matchesFloat64Reference(String dims) {
        int[] shape = java.util.Arrays.stream(dims.split("x")).mapToInt(Integer::parseInt).toArray();
        int n = java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        int batch = shape[0];
        int[] t = new int[batch];
        for (int s = 0; s < batch; s++) {
            t[s] = (s * 389 + 11) % 1000;
        }
        t[0] = 999;
        try (Context ctx = Context.create(Device.cpu(), 5);
                Tensor x0 = Tensor.of(ctx, data(n), shape);
                Tensor xt = Tensor.empty(ctx, shape).fill(Float.NaN);
                Tensor eps = Tensor.empty(ctx, shape).fill(Float.NaN);
                Tensor z = Tensor.empty(ctx, shape)) {
            long offset = ctx.rngOffset();
            DIFFUSION.qSample(ctx, xt, eps, x0, t);
            assertEquals(offset + (n + 3) / 4, ctx.rngOffset());
            ctx.setRng(5, offset);
            z.fillNormal(0f, 1f);
            float[] e = eps.toArray();
            assertArrayEquals(z.toArray(), e, "eps must be the normals at the same Philox offset");
            float[] x = data(n);
            float[] out = xt.toArray();
            double num = 0;
            double den = 0;
            int per = n / batch;
            for (int i = 0; i < n; i++) {
                double ab = SCHEDULE.alphaBar(t[i / per]);
                double ref = Math.sqrt(ab) * x[i] + Math.sqrt(1 - ab) * e[i];
                num += (out[i] - ref) * (out[i] - ref);
                den += ref * ref;
            }
            double rel = Math.sqrt(num / den);
            assertTrue(rel < 1e-6, "relative error " + rel); // NaN (an unwritten element) fails too
        }
    }

    /** Over many draws, E[x_t] = √ᾱ x_0 and Var[x_t] = 1 − ᾱ. */
    @Test
    void momentsMatchTheForwardProcess() {
        int draws = 2000;
        int per = 196;
        int[] t = {0, 300, 999};
        float[] x = data(3 * per);
        double[] sum = new double[x.length];
        double[] sq = new double[x.length];
        try (Context ctx = Context.create(Device.cpu(), 11);
                Tensor x0 = Tensor.of(ctx, x, 3, 14, 14, 1);
                Tensor xt = Tensor.empty(ctx, 3, 14, 14, 1);
                Tensor eps = Tensor.empty(ctx, 3, 14, 14, 1)) {
            for (int k = 0; k < draws; k++) {
                DIFFUSION.qSample(ctx, xt, eps, x0, t);
                float[] o = xt.toArray();
                for (int i = 0; i < o.length; i++) {
                    sum[i] += o[i];
                    sq[i] += (double) o[i] * o[i];
                }
            }
        }
        for (int s = 0; s < 3; s++) {
            double a = Math.sqrt(SCHEDULE.alphaBar(t[s]));
            double b2 = 1 - SCHEDULE.alphaBar(t[s]);
            double pooledVar = 0;
            for (int j = 0; j < per; j++) {
                int i = s * per + j;
                double mean = sum[i] / draws;
                double z = (mean - a * x[i]) / Math.sqrt(b2 / draws);
                assertTrue(Math.abs(z) < 5, "t=" + t[s] + " element " + j + ": mean off by " + z + " s.e.");
                pooledVar += sq[i] / draws - mean * mean;
            }
            pooledVar /= per;
            // pooled over 392,000 draws: relative standard error 0.0023
            assertEquals(1.0, pooledVar / b2, 0.015, "t=" + t[s] + " variance " + pooledVar + " want " + b2);
        }
    }

    @Test
    void badInputNamesTheValue() {
        try (Context ctx = Context.create(Device.cpu());
                Tensor x0 = Tensor.zeros(ctx, 2, 4, 4, 1);
                Tensor xt = Tensor.empty(ctx, 2, 4, 4, 1);
                Tensor eps = Tensor.empty(ctx, 2, 4, 4, 1);
                Tensor wrong = Tensor.empty(ctx, 2, 4, 5, 1)) {
            IllegalArgumentException high = assertThrows(IllegalArgumentException.class,
                    () -> DIFFUSION.qSample(ctx, xt, eps, x0, new int[] {0, 1000}));
            assertTrue(high.getMessage().contains("t[1] is 1000"), high.getMessage());
            IllegalArgumentException neg = assertThrows(IllegalArgumentException.class,
                    () -> DIFFUSION.qSample(ctx, xt, eps, x0, new int[] {-5, 0}));
            assertTrue(neg.getMessage().contains("t[0] is -5"), neg.getMessage());
            IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                    () -> DIFFUSION.qSample(ctx, xt, eps, x0, new int[] {1, 2, 3}));
            assertTrue(count.getMessage().contains("3 timesteps"), count.getMessage());
            D4jException shape = assertThrows(D4jException.class,
                    () -> DIFFUSION.qSample(ctx, wrong, eps, x0, new int[] {1, 2}));
            assertEquals(Status.SHAPE, shape.status());
            assertTrue(shape.getMessage().contains("[2, 4, 5, 1]"), shape.getMessage());
            D4jException alias = assertThrows(D4jException.class,
                    () -> DIFFUSION.qSample(ctx, xt, xt, x0, new int[] {1, 2}));
            assertTrue(alias.getMessage().contains("distinct"), alias.getMessage());
            xt.close();
            assertThrows(IllegalStateException.class, () -> DIFFUSION.qSample(ctx, xt, eps, x0, new int[] {1, 2}));
            assertThrows(NullPointerException.class, () -> DIFFUSION.qSample(ctx, null, eps, x0, new int[] {1, 2}));
        }
    }
}
