package org.diffusion4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.Context;
import org.diffusion4j.D4jException;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.testing.TestData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The VAE latent's two ops against closed forms: the KL term ½ Σ (μ² + e^ℓ − 1 − ℓ) per image and
 * its gradient (μ, ½(e^ℓ − 1)) in float64, the gradient also against central differences of the
 * float64 KL; the reparameterised sample z = μ + e^{ℓ/2} ε against float64 with ε the context's
 * own normals, and its backward against central differences of a float64 loss Σ w·z at fixed ε.
 * The clamp of ℓ to [−30, 20] passes no gradient. Outputs poisoned with NaN first.
 */
class LatentGaussianTest {
    /** Moments (N, H, W, 2C): means of scale 1.5, log-variances in [−3, 1.5]. */
    private static float[] moments(long seed, int[] shape) {
        float[] m = TestData.random(seed, TestData.numel(shape), 1.5f);
        int c = shape[3] / 2;
        for (int i = 0; i < m.length; i++) {
            if (i % shape[3] >= c) {
                m[i] = -0.75f + m[i]; // ℓ in [−2.25, 0.75]: e^ℓ from 0.1 to 2
            }
        }
        return m;
    }

    private static double kl(float[] m, int[] shape) {
        int c = shape[3] / 2;
        double s = 0;
        for (int i = 0; i < m.length; i += 2 * c) {
            for (int j = 0; j < c; j++) {
                double mu = m[i + j];
                double l = Math.max(-30, Math.min(20, m[i + c + j]));
                s += 0.5 * (mu * mu + Math.exp(l) - 1 - l);
            }
        }
        return s / shape[0];
    }

    @ParameterizedTest
    @ValueSource(strings = {"2x7x7x8", "3x1x1x2", "64x7x7x8", "5x3x5x6"})
    void klAndItsGradientMatchTheClosedForm(String dims) {
        int[] shape = TestData.shape(dims);
        float[] m = moments(11, shape);
        int c = shape[3] / 2;
        float weight = 0.37f;
        try (Context ctx = Context.create(Device.cpu()); Tensor tm = Tensor.of(ctx, m, shape);
                Tensor loss = Tensor.empty(ctx, 1).fill(Float.NaN); Tensor grad = Tensor.empty(ctx, shape).fill(Float.NaN)) {
            GaussianKl.forward(ctx, loss, grad, tm, weight);
            double ref = weight * kl(m, shape);
            double el = Math.abs(loss.toArray()[0] - ref) / ref;
            float[] gref = new float[m.length];
            for (int i = 0; i < m.length; i++) {
                boolean mean = i % shape[3] < c;
                gref[i] = (float) (weight / shape[0] * (mean ? m[i] : 0.5 * (Math.exp(m[i]) - 1)));
            }
            double eg = TestData.relativeError(grad.toArray(), gref);
            System.out.printf("KL %s: loss %.2e, gradient %.2e%n", dims, el, eg);
            // float32 e^ℓ (d4j_expf within 4 ulp) summed in float64
            assertTrue(el < 1e-6, "loss relative error " + el);
            assertTrue(eg < 1e-6, "gradient relative error " + eg);
            // the analytic gradient is the derivative of the float64 KL: central differences on a few elements
            for (int i : new int[] {0, c, m.length - 1, m.length / 2}) {
                double h = 1e-4;
                float[] p = m.clone();
                float[] q = m.clone();
                p[i] += (float) h;
                q[i] -= (float) h;
                double fd = weight * (kl(p, shape) - kl(q, shape)) / (p[i] - q[i]);
                assertEquals(fd, gref[i], 1e-6 + 1e-4 * Math.abs(fd), "finite difference at " + i);
            }
            // in place: the gradient over the moments themselves
            GaussianKl.forward(ctx, loss, tm, tm, weight);
            assertArrayEquals(grad.toArray(), tm.toArray(), "dmoments may be moments");
        }
    }

    @Test
    void aClampedLogVarianceUsesTheClampAndPassesNoGradient() {
        float[] m = {0.5f, 0.25f, -40f, 25f}; // (1, 1, 1, 4): μ = 0.5, 0.25; ℓ = −40 (clamped to −30), 25 (to 20)
        try (Context ctx = Context.create(Device.cpu()); Tensor tm = Tensor.of(ctx, m, 1, 1, 1, 4);
                Tensor loss = Tensor.empty(ctx, 1); Tensor grad = Tensor.empty(ctx, 1, 1, 1, 4).fill(Float.NaN);
                Tensor z = Tensor.empty(ctx, 1, 1, 1, 2); Tensor eps = Tensor.empty(ctx, 1, 1, 1, 2);
                Tensor dz = Tensor.of(ctx, new float[] {1f, 1f}, 1, 1, 1, 2);
                Tensor dm = Tensor.zeros(ctx, 1, 1, 1, 4)) {
            GaussianKl.forward(ctx, loss, grad, tm, 1f);
            double ref = 0.5 * (0.25 + Math.exp(-30) - 1 + 30) + 0.5 * (0.0625 + Math.exp(20) - 1 - 20);
            assertEquals(ref, loss.toArray()[0], 1e-6 * ref);
            float[] g = grad.toArray();
            assertEquals(0.5f, g[0]);
            assertEquals(0.25f, g[1]);
            assertEquals(0f, g[2], "no gradient below the clamp");
            assertEquals(0f, g[3], "no gradient above the clamp");
            LatentSample.forward(ctx, z, eps, tm);
            float[] e = eps.toArray();
            assertEquals(0.5 + Math.exp(-15) * e[0], z.toArray()[0], 1e-6);
            assertEquals(0.25 + Math.exp(10) * e[1], z.toArray()[1], 1e-6 * Math.exp(10) * Math.abs(e[1]) + 1e-6);
            LatentSample.backward(ctx, dm, dz, eps, tm);
            assertArrayEquals(new float[] {1f, 1f, 0f, 0f}, dm.toArray());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"2x7x7x8", "3x1x1x2", "4x14x14x6"})
    void theReparameterisedSampleAndItsBackward(String dims) {
        int[] shape = TestData.shape(dims);
        int c = shape[3] / 2;
        int[] zs = {shape[0], shape[1], shape[2], c};
        float[] m = moments(12, shape);
        int nz = TestData.numel(zs);
        float[] w = TestData.random(13, nz, 1f); // dL/dz of L = Σ w·z
        try (Context ctx = Context.create(Device.cpu(), 99); Context ref = Context.create(Device.cpu(), 99);
                Tensor tm = Tensor.of(ctx, m, shape); Tensor z = Tensor.empty(ctx, zs).fill(Float.NaN);
                Tensor eps = Tensor.empty(ctx, zs).fill(Float.NaN); Tensor normals = Tensor.empty(ref, zs);
                Tensor dz = Tensor.of(ctx, w, zs); Tensor dm = Tensor.of(ctx, new float[m.length], shape).fill(0.5f);
                Tensor mode = Tensor.empty(ctx, zs).fill(Float.NaN)) {
            long before = ctx.rngOffset();
            LatentSample.forward(ctx, z, eps, tm);
            normals.fillNormal(0f, 1f);
            float[] e = eps.toArray();
            assertArrayEquals(normals.toArray(), e, "eps is the context's normals at its offset");
            assertEquals(ref.rngOffset(), ctx.rngOffset(), "and the stream advances as fill_normal's");
            assertTrue(ctx.rngOffset() > before);
            float[] got = z.toArray();
            float[] zref = new float[nz];
            for (int j = 0; j < nz; j++) {
                int i = j / c;
                int k = j % c;
                zref[j] = (float) (m[i * 2 * c + k] + Math.exp(0.5 * m[i * 2 * c + c + k]) * e[j]);
            }
            double ez = TestData.relativeError(got, zref);
            assertTrue(ez < 1e-6, "z relative error " + ez);
            LatentSample.backward(ctx, dm, dz, eps, tm);
            float[] g = dm.toArray();
            for (int i = 0; i < m.length; i++) {
                int pos = i / (2 * c);
                int k = i % (2 * c);
                int j = pos * c + (k % c);
                // the float64 loss Σ w·z at fixed ε, differentiated by central differences
                double h = 1e-3;
                double fd;
                if (k < c) {
                    fd = w[j]; // z is linear in μ: the difference quotient is exact
                } else {
                    double l = m[i];
                    fd = w[j] * (Math.exp(0.5 * (l + h)) - Math.exp(0.5 * (l - h))) / (2 * h) * e[j];
                }
                assertEquals(0.5 + fd, g[i], 1e-5 * (1 + Math.abs(fd)), "dmoments[" + i + "] (added to 0.5)");
            }
            long at = ctx.rngOffset();
            LatentSample.forward(ctx, mode, null, tm);
            assertEquals(at, ctx.rngOffset(), "the mode draws nothing");
            float[] mv = mode.toArray();
            for (int j = 0; j < nz; j++) {
                assertEquals(m[(j / c) * 2 * c + j % c], mv[j], "the mode is the mean");
            }
        }
    }

    @Test
    void badArgumentsAreRefusedWithTheirValues() {
        try (Context ctx = Context.create(Device.cpu()); Tensor odd = Tensor.empty(ctx, 2, 3, 3, 5).fill(0f);
                Tensor m = Tensor.empty(ctx, 2, 3, 3, 8).fill(0f); Tensor loss = Tensor.empty(ctx, 1);
                Tensor z = Tensor.empty(ctx, 2, 3, 3, 4); Tensor wrong = Tensor.empty(ctx, 2, 3, 3, 8)) {
            D4jException e = assertThrows(D4jException.class, () -> GaussianKl.forward(ctx, loss, null, odd, 1f));
            assertTrue(e.getMessage().contains("[2, 3, 3, 5]"), e.getMessage());
            IllegalArgumentException w = assertThrows(IllegalArgumentException.class,
                    () -> GaussianKl.forward(ctx, loss, null, m, -1f));
            assertTrue(w.getMessage().contains("-1.0"), w.getMessage());
            assertThrows(IllegalArgumentException.class, () -> GaussianKl.forward(ctx, loss, null, m, Float.NaN));
            e = assertThrows(D4jException.class, () -> LatentSample.forward(ctx, wrong, null, m));
            assertTrue(e.getMessage().contains("[2, 3, 3, 8]") && e.getMessage().contains("2C = 8"), e.getMessage());
            e = assertThrows(D4jException.class, () -> LatentSample.forward(ctx, z, z, m));
            assertTrue(e.getMessage().contains("eps"), e.getMessage());
            e = assertThrows(D4jException.class, () -> LatentSample.backward(ctx, m, z, null, m));
            assertTrue(e.getMessage().contains("alias"), e.getMessage());
        }
    }
}
