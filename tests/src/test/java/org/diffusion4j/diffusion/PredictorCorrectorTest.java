package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Predictor–corrector sampling of a DDPM with the exact model for Gaussian data x_0 ~ N(μ, s²):
 * the Langevin corrector at each step targets the marginal q_t, so PC must end at the data's
 * moments within sampling error of 40,000 draws (4 standard errors), like the predictor alone;
 * a corrector whose noise lacks its √2 (√δ z instead of √(2δ) z) must fail the same check.
 */
class PredictorCorrectorTest {
    static final NoiseSchedule LINEAR = NoiseSchedule.linear(1000);
    static final int[] SHAPE = {200, 10, 20, 1};
    static final double Z = 4.0;

    private static double[] zVsData(ImageSampler s, long seed) {
        float[] x;
        try (Context ctx = Context.create(Device.cpu());
                Tensor t = s.sample(ctx, GaussianData.model(LINEAR, ModelOutput.EPSILON), SHAPE, null,
                        SampleNoise.of(seed, SHAPE[0]), null)) {
            x = t.toArray();
        }
        double[] m = GaussianData.moments(x);
        double[] z = GaussianData.zScores(x, new double[] {GaussianData.MU, GaussianData.S2});
        System.out.printf("%s: mean %.4f var %.4f; z %.2f, %.2f%n", s, m[0], m[1], z[0], z[1]);
        return z;
    }

    /**
     * The full T-step chain with β̃ is exact to within sampling error for this data; the corrector
     * (ULA, whose stationary variance for a Gaussian target is v/(1 − δ/2v) = v/(1 − α r²)) keeps
     * it so at r = 0.05 (a 0.25% bias, under one standard error). At score_sde's r = 0.16 that bias
     * is 2.6% per level and shows at this N: see {@link #theDefaultSnrsBiasIsUlas}.
     */
    @Test
    void theExactPredictorWithCorrectorMatchesTheData() {
        Sampler ddpm = new DdpmSampler(GaussianDiffusion.of(LINEAR), 1000, Spacing.LINSPACE, 0, false);
        for (int m : new int[] {1, 2}) {
            double[] z = zVsData(new PredictorCorrector(ddpm, m, 0.05), 11 + m);
            assertTrue(z[0] < Z && z[1] < Z, m + " corrector steps: moments " + z[0] + ", " + z[1] + " standard errors away");
        }
        Sampler ddim = new DdimSampler(GaussianDiffusion.of(LINEAR), 1000, 1.0, Spacing.TRAILING, 0, false);
        double[] z = zVsData(new PredictorCorrector(ddim, 1, 0.05), 21);
        assertTrue(z[0] < Z && z[1] < Z, "DDIM eta=1 predictor: " + z[0] + ", " + z[1]);
    }

    /** A corrector whose noise lacks its √2 targets v/2 instead of v: the same check rejects it. */
    @Test
    void aCorrectorWithoutTheSqrtTwoInItsNoiseFails() {
        Sampler ddpm = new DdpmSampler(GaussianDiffusion.of(LINEAR), 1000, Spacing.LINSPACE, 0, false);
        double[] z = zVsData(new PredictorCorrector(ddpm, 1, 0.05, 1.0), 31);
        assertTrue(z[1] > 5 * Z, "the wrong rule must be detected: variance z " + z[1]);
    }

    /**
     * What the corrector is for: a coarse predictor (DDPM respaced to 100 steps with β̃, whose exact
     * chain ends 12% under the data's variance) is pulled towards the marginals; at r = 0.16 the
     * corrector removes most of the gap. And at r = 0.16 over the full chain its ULA bias
     * (variance above the data's, by a few per cent) is visible, as the stationary formula says.
     */
    @Test
    void theDefaultSnrsBiasIsUlas() {
        Sampler coarse = new DdpmSampler(GaussianDiffusion.of(LINEAR), 100, Spacing.LINSPACE, 0, false);
        double gap = Math.abs(GaussianData.propagate(coarse, ModelOutput.EPSILON, 0, 0, 1)[1] - GaussianData.S2);
        double[] pc = moments(new PredictorCorrector(coarse, 1, PredictorCorrector.DEFAULT_SNR), 41);
        assertTrue(Math.abs(pc[1] - GaussianData.S2) < gap / 2, "the corrector closes the predictor's variance gap " + gap
                + ": PC variance " + pc[1]);
        Sampler full = new DdpmSampler(GaussianDiffusion.of(LINEAR), 1000, Spacing.LINSPACE, 0, false);
        double[] biased = moments(new PredictorCorrector(full, 1, PredictorCorrector.DEFAULT_SNR), 42);
        double r2 = PredictorCorrector.DEFAULT_SNR * PredictorCorrector.DEFAULT_SNR;
        assertTrue(biased[1] > GaussianData.S2 * (1 + r2 / 2) && biased[1] < GaussianData.S2 * (1 + 4 * r2),
                "variance " + biased[1] + ": above the data's by the order of r^2 = " + r2);
    }

    private static double[] moments(ImageSampler s, long seed) {
        try (Context ctx = Context.create(Device.cpu());
                Tensor t = s.sample(ctx, GaussianData.model(LINEAR, ModelOutput.EPSILON), SHAPE, null,
                        SampleNoise.of(seed, SHAPE[0]), null)) {
            double[] m = GaussianData.moments(t.toArray());
            System.out.printf("%s: mean %.4f var %.4f%n", s, m[0], m[1]);
            return m;
        }
    }

    @Test
    void networkEvaluationsAndBadSettings() {
        Sampler ddpm = new DdpmSampler(GaussianDiffusion.of(LINEAR), 100, Spacing.LINSPACE, 2.0, false);
        PredictorCorrector pc = new PredictorCorrector(ddpm, 3, 0.1);
        assertEquals(400, pc.networkEvaluations());
        assertEquals(2.0, pc.guidance());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PredictorCorrector(ddpm, 0, 0.1));
        assertTrue(e.getMessage().contains("0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new PredictorCorrector(ddpm, 1, -0.5));
        assertTrue(e.getMessage().contains("-0.5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new PredictorCorrector(ddpm, 1, Double.NaN));
        assertThrows(NullPointerException.class, () -> new PredictorCorrector(null, 1, 0.1));
    }
}
