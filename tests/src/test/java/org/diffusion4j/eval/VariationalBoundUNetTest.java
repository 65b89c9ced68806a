package org.diffusion4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.diffusion.GaussianDiffusion;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.diffusion.VarianceType;
import org.diffusion4j.nn.UNet;
import org.diffusion4j.nn.UNetConfig;
import org.junit.jupiter.api.Test;

/**
 * The bound through a real network: a fresh Fashion-MNIST U-Net (base 16, class-conditional),
 * whose zero-initialised output convolution predicts ε̂ = 0, so x̂_0 = x_t/√ᾱ and the bound has
 * the same closed form as for any affine model; and the speed of the bound (image × timestep
 * terms per second, printed).
 */
class VariationalBoundUNetTest {
    @Test
    void freshUNetMatchesItsClosedFormAndReportsSpeed() {
        NoiseSchedule s = NoiseSchedule.linear(1000);
        GaussianDiffusion d = GaussianDiffusion.of(s).withVariance(VarianceType.FIXED_BETA_TILDE);
        int[] shape = {28, 28, 1};
        int n = 16;
        SplittableRandom r = new SplittableRandom(9);
        float[] one = new float[28 * 28];
        for (int e = 0; e < one.length; e++) {
            one[e] = (float) (-1 + 2.0 * r.nextInt(256) / 255);
        }
        float[][] images = new float[n][];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            images[i] = one.clone();
            labels[i] = i % 10;
        }
        VariationalBound.Result res;
        double seconds;
        try (Context ctx = Context.create(Device.cpu(), 1)) {
            UNet net = new UNet(ctx, UNetConfig.fashionMnist(16), 1);
            long t0 = System.nanoTime();
            res = VariationalBound.bitsPerDim(ctx, net, d, images, shape, labels, 16, 20, 3, null);
            seconds = (System.nanoTime() - t0) / 1e9;
        }
        double[] parts = VariationalBoundTest.analyticBound(s, VarianceType.FIXED_BETA_TILDE, one, VariationalBoundTest.RIGHT_KL,
                ab -> new double[] {1 / Math.sqrt(ab), 0});
        double want = (parts[0] + parts[1] + parts[2]) / (one.length * Math.log(2));
        System.out.printf("fresh U-Net (eps = 0), 16 images x %d terms: %.4f ± %.4f bits/dim (analytic %.4f); %.1f s, %.1f terms/s%n",
                res.termsEvaluated() / n, res.bitsPerDim(), res.standardError(), want, seconds, res.termsEvaluated() / seconds);
        assertEquals(n * 21L, res.termsEvaluated());
        assertTrue(Math.abs(res.bitsPerDim() - want) < 4 * res.standardError(),
                res.bitsPerDim() + " vs " + want + " ± " + res.standardError());
    }
}
