package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.junit.jupiter.api.Test;

/**
 * L_hybrid = L_simple + λ L_vlb (Improved DDPM §3.1) through {@link GaussianDiffusion#trainingLoss}:
 * its value against a float64 host sum, its gradient against central differences, and the
 * stop-gradient: the mean half's gradient is that of L_simple alone, although L_vlb does depend
 * on the mean (its central difference differs), and the variance half's is that of λ L_vlb.
 */
class HybridLossTest {
    static final int N = 4;
    static final int H = 3;
    static final int W = 2;
    static final int C = 2;
    static final int DIM = H * W * C;
    static final int[] T = {0, 1, 37, 999}; // the decoder, the first KL, the middle and the last
    static final double SCALE = 0.5; // as with two accumulated micro-batches

    final GaussianDiffusion d = GaussianDiffusion.of(NoiseSchedule.linear(1000)).withVariance(VarianceType.LEARNED_RANGE)
            .withLoss(LossType.HYBRID);
    final float[] x0 = new float[N * DIM];
    final float[] xt = new float[N * DIM];
    final float[] mean = new float[N * DIM];
    final float[] raw = new float[N * DIM];
    final float[] target = new float[N * DIM];

    HybridLossTest() {
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < x0.length; i++) {
            x0[i] = (float) (-1 + 2.0 * r.nextInt(256) / 255);
            double ab = d.alphaBar(T[i / DIM]);
            double eps = r.nextGaussian();
            xt[i] = (float) (Math.sqrt(ab) * x0[i] + Math.sqrt(1 - ab) * eps);
            target[i] = (float) eps;
            mean[i] = (float) (eps + 0.3 * r.nextGaussian()); // an imperfect ε-model
            raw[i] = (float) (1.2 * (2 * r.nextDouble() - 1));
        }
    }

    /** L_hybrid in float64 on the host: mean squared error plus λ T L_t / (D ln 2), batch mean, times the scale. */
    double hostLoss(float[] m, float[] v) {
        double se = 0;
        for (int i = 0; i < m.length; i++) {
            se += (m[i] - target[i]) * (double) (m[i] - target[i]);
        }
        double vlb = 0;
        for (double term : d.vlbTerms(x0, xt, m, v, T, null)) {
            vlb += term;
        }
        return SCALE * (se / m.length + GaussianDiffusion.HYBRID_LAMBDA * 1000 * vlb / (DIM * Math.log(2) * N));
    }

    /** L_simple alone. */
    double hostSimple(float[] m) {
        double se = 0;
        for (int i = 0; i < m.length; i++) {
            se += (m[i] - target[i]) * (double) (m[i] - target[i]);
        }
        return SCALE * se / m.length;
    }

    /** The (N, H, W, 2C) output: per pixel C mean values, then C raw variances. */
    static float[] interleave(float[] m, float[] v) {
        float[] out = new float[2 * m.length];
        for (int p = 0; p < m.length / C; p++) {
            System.arraycopy(m, p * C, out, 2 * p * C, C);
            System.arraycopy(v, p * C, out, (2 * p + 1) * C, C);
        }
        return out;
    }

    @Test
    void valueAndGradientWithTheStopGradient() {
        float[] dOut;
        float loss;
        try (Context ctx = Context.create(Device.cpu());
                Tensor out = Tensor.of(ctx, interleave(mean, raw), N, H, W, 2 * C);
                Tensor tgt = Tensor.of(ctx, target, N, H, W, C);
                Tensor x0t = Tensor.of(ctx, x0, N, H, W, C);
                Tensor xtt = Tensor.of(ctx, xt, N, H, W, C);
                Tensor lossT = Tensor.empty(ctx, 1).fill(Float.NaN);
                Tensor grad = Tensor.empty(ctx, N, H, W, 2 * C).fill(Float.NaN)) {
            d.trainingLoss(ctx, lossT, grad, out, tgt, x0t, xtt, T, SCALE);
            loss = lossT.toArray()[0];
            dOut = grad.toArray();
        }
        double want = hostLoss(mean, raw);
        assertEquals(want, loss, 1e-5 * want, "the hybrid loss's value");
        assertTrue(hostLoss(mean, raw) - hostSimple(mean) > 1e-3 * want, "the VLB part must count in this test");

        double worstRaw = 0;
        double worstMean = 0;
        double vlbOnMean = 0;
        for (int i = 0; i < raw.length; i++) {
            int p = i / C;
            int c = i % C;
            // the variance half: central difference of the whole L_hybrid
            float[] up = raw.clone();
            float[] down = raw.clone();
            up[i] = (float) (raw[i] + 1e-2);
            down[i] = (float) (raw[i] - 1e-2);
            double fd = (hostLoss(mean, up) - hostLoss(mean, down)) / ((double) up[i] - down[i]);
            double got = dOut[(2 * p + 1) * C + c];
            worstRaw = Math.max(worstRaw, Math.abs(got - fd) / (Math.abs(fd) + 1e-6));
            // the mean half: L_simple's central difference, not L_hybrid's
            float[] mu = mean.clone();
            float[] md = mean.clone();
            mu[i] = (float) (mean[i] + 1e-2);
            md[i] = (float) (mean[i] - 1e-2);
            double step = (double) mu[i] - md[i];
            double fdSimple = (hostSimple(mu) - hostSimple(md)) / step;
            double fdHybrid = (hostLoss(mu, raw) - hostLoss(md, raw)) / step;
            double gotMean = dOut[2 * p * C + c];
            worstMean = Math.max(worstMean, Math.abs(gotMean - fdSimple) / (Math.abs(fdSimple) + 1e-6));
            vlbOnMean = Math.max(vlbOnMean, Math.abs(fdHybrid - fdSimple) / (Math.abs(fdSimple) + 1e-6));
        }
        System.out.printf("hybrid loss %.6f (host %.6f); worst relative gradient error: variance %.2e, mean %.2e; "
                + "L_vlb's own pull on the mean (stopped) up to %.2f of L_simple's%n", loss, want, worstRaw, worstMean,
                vlbOnMean);
        assertTrue(worstRaw < 1e-3, "variance gradient error " + worstRaw);
        assertTrue(worstMean < 1e-3, "mean gradient error " + worstMean);
        assertTrue(vlbOnMean > 0.05, "L_vlb must depend on the mean here, or the stop-gradient is not tested: " + vlbOnMean);
    }

    @Test
    void badUseIsNamed() {
        try (Context ctx = Context.create(Device.cpu());
                Tensor narrow = Tensor.of(ctx, mean, N, H, W, C);
                Tensor tgt = Tensor.of(ctx, target, N, H, W, C);
                Tensor lossT = Tensor.empty(ctx, 1);
                Tensor grad = Tensor.empty(ctx, N, H, W, C)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> d.trainingLoss(ctx, lossT, grad, narrow, tgt, tgt, tgt, T, 1));
            assertTrue(e.getMessage().contains("2C channels"), e.getMessage());
            assertThrows(NullPointerException.class, () -> d.trainingLoss(ctx, lossT, grad, narrow, tgt, null, tgt, T, 1));
            GaussianDiffusion fixed = d.withVariance(VarianceType.FIXED_BETA_TILDE);
            assertThrows(IllegalStateException.class, () -> fixed.trainingLoss(ctx, lossT, grad, narrow, tgt, tgt, tgt, T, 1));
        }
        assertThrows(IllegalArgumentException.class, () -> d.vlbTerms(x0, xt, mean, null, T, null),
                "learned variance needs the raw output");
    }
}
