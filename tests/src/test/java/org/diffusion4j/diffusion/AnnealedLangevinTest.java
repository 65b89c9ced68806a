package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.concurrent.CancellationException;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Annealed Langevin dynamics driven by exact scores ({@link ExactScores}) must reproduce the
 * data's moments within sampling error (4 standard errors; the step sizes are chosen so the
 * dynamics' own bias, computed in float64 beforehand, stays below one), and the same check must
 * reject the wrong step rule α_i = ε (the σ_i² / σ_L² scaling dropped).
 */
class AnnealedLangevinTest {
    static final double Z = 4.0;

    static final double MU = 0.4;
    static final double S2 = 0.25;
    static final ScoreMatching GAUSSIAN_LEVELS = new ScoreMatching(NoiseLevels.geometric(10, 0.05, 20));

    static final double M = 1.0;
    static final double MIX_S2 = 0.09;
    static final double PI = 0.3;
    static final ScoreMatching MIXTURE_LEVELS = new ScoreMatching(NoiseLevels.geometric(10, 0.05, 40));

    private static float[] draw(AnnealedLangevin a, Denoiser model, int[] shape, long seed) {
        try (Context ctx = Context.create(Device.cpu()); Tensor x = a.sample(ctx, model, shape, null,
                SampleNoise.of(seed, shape[0]), null)) {
            return x.toArray();
        }
    }

    /** |mean − μ| and |variance − s²| in standard errors, n values. */
    private static double[] gaussianZ(float[] x) {
        double[] m = GaussianData.moments(x);
        int n = x.length;
        return new double[] {Math.abs(m[0] - MU) / Math.sqrt(S2 / n), Math.abs(m[1] - S2) / (S2 * Math.sqrt(2.0 / (n - 1)))};
    }

    @Test
    void gaussianDataMomentsAreReproduced() {
        AnnealedLangevin a = new AnnealedLangevin(GAUSSIAN_LEVELS, 50, 0.004, true, 0);
        float[] x = draw(a, ExactScores.gaussian(GAUSSIAN_LEVELS, MU, S2), new int[] {512, 4, 4, 1}, 1);
        double[] z = gaussianZ(x);
        System.out.printf("Gaussian, α_i = ε σ_i²/σ_L²: moments %s, z %.2f %.2f%n", Arrays.toString(GaussianData.moments(x)),
                z[0], z[1]);
        assertTrue(z[0] < Z && z[1] < Z, "mean and variance are " + z[0] + " and " + z[1] + " standard errors off");
    }

    @Test
    void gaussianDataRejectsTheUnscaledStep() {
        double[] alphas = new double[GAUSSIAN_LEVELS.timesteps()];
        Arrays.fill(alphas, 0.004);
        AnnealedLangevin wrong = new AnnealedLangevin(GAUSSIAN_LEVELS, 50, 0.004, alphas, true, 0);
        float[] x = draw(wrong, ExactScores.gaussian(GAUSSIAN_LEVELS, MU, S2), new int[] {512, 4, 4, 1}, 1);
        double[] z = gaussianZ(x);
        System.out.printf("Gaussian, α_i = ε: moments %s, z %.2f %.2f%n", Arrays.toString(GaussianData.moments(x)), z[0],
                z[1]);
        assertFalse(z[0] < Z && z[1] < Z, "the unscaled step passed the moment check");
    }

    /** Fraction of samples on the + side, per-element E[x²] and the spread around each sample's component mean. */
    private static double[] mixtureStats(float[] x, int per) {
        int n = x.length / per;
        int plus = 0;
        double sq = 0;
        double within = 0;
        for (int i = 0; i < n; i++) {
            double mean = 0;
            for (int j = 0; j < per; j++) {
                mean += x[i * per + j];
            }
            double c = mean > 0 ? M : -M;
            plus += mean > 0 ? 1 : 0;
            for (int j = 0; j < per; j++) {
                double v = x[i * per + j];
                sq += v * v;
                within += (v - c) * (v - c);
            }
        }
        return new double[] {(double) plus / n, sq / x.length, within / x.length};
    }

    /** The three statistics' distances from π, m² + s² and s² in standard errors. */
    private static double[] mixtureZ(double[] st, int n, int per) {
        double total = (double) n * per;
        double zFrac = Math.abs(st[0] - PI) / Math.sqrt(PI * (1 - PI) / n);
        // per-element x² = (c + e)², c = ±m, e ~ N(0, s²): Var = 4 m² s² + 2 s⁴; elements of one sample share c only
        double zSq = Math.abs(st[1] - (M * M + MIX_S2)) / Math.sqrt((4 * M * M * MIX_S2 + 2 * MIX_S2 * MIX_S2) / total);
        double zWithin = Math.abs(st[2] - MIX_S2) / (MIX_S2 * Math.sqrt(2.0 / total));
        return new double[] {zFrac, zSq, zWithin};
    }

    @Test
    void mixtureWeightsAndMomentsAreReproduced() {
        AnnealedLangevin a = new AnnealedLangevin(MIXTURE_LEVELS, 25, 0.001, true, 0);
        int[] shape = {1024, 4, 4, 1};
        float[] x = draw(a, ExactScores.mixture(MIXTURE_LEVELS, M, MIX_S2, PI), shape, 2);
        double[] st = mixtureStats(x, 16);
        double[] z = mixtureZ(st, shape[0], 16);
        System.out.printf("mixture, α_i = ε σ_i²/σ_L²: + fraction %.4f, E[x²] %.4f, within %.4f; z %.2f %.2f %.2f%n", st[0],
                st[1], st[2], z[0], z[1], z[2]);
        for (double v : z) {
            assertTrue(v < Z, "mixture statistics " + Arrays.toString(st) + " are " + Arrays.toString(z) + " standard errors off");
        }
    }

    @Test
    void mixtureRejectsTheUnscaledStep() {
        double[] alphas = new double[MIXTURE_LEVELS.timesteps()];
        Arrays.fill(alphas, 0.001);
        AnnealedLangevin wrong = new AnnealedLangevin(MIXTURE_LEVELS, 25, 0.001, alphas, true, 0);
        int[] shape = {1024, 4, 4, 1};
        double[] st = mixtureStats(draw(wrong, ExactScores.mixture(MIXTURE_LEVELS, M, MIX_S2, PI), shape, 2), 16);
        double[] z = mixtureZ(st, shape[0], 16);
        System.out.printf("mixture, α_i = ε: + fraction %.4f, E[x²] %.4f, within %.4f; z %.2f %.2f %.2f%n", st[0], st[1],
                st[2], z[0], z[1], z[2]);
        assertFalse(z[0] < Z && z[1] < Z && z[2] < Z, "the unscaled step passed the mixture check");
    }

    @Test
    void aSampleDependsOnItsIdOnly() {
        ScoreMatching p = new ScoreMatching(NoiseLevels.geometric(5, 0.1, 4));
        AnnealedLangevin a = new AnnealedLangevin(p, 3, 0.01, true, 0);
        Denoiser model = ExactScores.gaussian(p, MU, S2);
        try (Context ctx = Context.create(Device.cpu());
                Tensor all = a.sample(ctx, model, new int[] {6, 3, 3, 1}, null, SampleNoise.of(7, 6), null);
                Tensor some = a.sample(ctx, model, new int[] {2, 3, 3, 1}, null, new SampleNoise(7, new long[] {4, 1}), null)) {
            float[] x = all.toArray();
            float[] y = some.toArray();
            assertArrayEquals(Arrays.copyOfRange(x, 36, 45), Arrays.copyOfRange(y, 0, 9));
            assertArrayEquals(Arrays.copyOfRange(x, 9, 18), Arrays.copyOfRange(y, 9, 18));
        }
    }

    @Test
    void planCountsAndStepsFollowTheRule() {
        ScoreMatching p = new ScoreMatching(NoiseLevels.geometric(8, 0.5, 5));
        AnnealedLangevin a = new AnnealedLangevin(p, 3, 0.02, true, 0);
        assertEquals(16, a.steps());
        assertEquals(16, a.networkEvaluations());
        assertEquals(0, a.level(2));
        assertEquals(1, a.level(3));
        assertEquals(4, a.level(15));
        assertTrue(a.isDenoisingStep(15));
        assertFalse(a.isDenoisingStep(14));
        for (int i = 0; i < 5; i++) {
            double s = p.levels().sigma(i);
            assertEquals(0.02 * s * s / 0.25, a.alpha(i), 1e-12);
        }
        assertEquals(15, new AnnealedLangevin(p, 3, 0.02, false, 0).steps());
        assertArrayEquals(new int[] {p.modelTimestep(1), p.modelTimestep(1)}, a.modelTimesteps(4, 2));
    }

    @Test
    void badSettingsAreRefused() {
        ScoreMatching p = new ScoreMatching(NoiseLevels.geometric(8, 0.5, 5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new AnnealedLangevin(p, 3, 1.0, true, 0));
        assertTrue(e.getMessage().contains("1.0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new AnnealedLangevin(p, 0, 0.01, true, 0));
        assertThrows(IllegalArgumentException.class, () -> new AnnealedLangevin(p, 3, -0.01, true, 0));
        assertThrows(IllegalArgumentException.class, () -> new AnnealedLangevin(p, 3, 0.01, true, Double.NaN));
        AnnealedLangevin a = new AnnealedLangevin(p, 1, 0.01, true, 0);
        assertThrows(IllegalArgumentException.class, () -> a.level(6));
        try (Context ctx = Context.create(Device.cpu())) {
            assertThrows(IllegalArgumentException.class, () -> a.sample(ctx, ExactScores.gaussian(p, 0, 1),
                    new int[] {2, 2, 2, 1}, null, SampleNoise.of(0, 3), null));
            assertThrows(CancellationException.class, () -> a.sample(ctx, ExactScores.gaussian(p, 0, 1),
                    new int[] {2, 2, 2, 1}, null, SampleNoise.of(0, 2), (k, total, t, x) -> k < 3));
        }
    }

    /**
     * Technique 4's f is the variance ratio the update itself produces: x ~ N(0, γ² σ²) run T
     * steps on the score of N(0, σ²) at the smallest level (α = ε), the variance recursion
     * v ← a² v + α with a = 1 − α/(2σ²); and the chosen ε minimises it.
     */
    @Test
    void ncsnv2StepSizeMinimisesTheSpreadOfTheUpdate() {
        NoiseLevels l = NoiseLevels.geometric(40, 0.02, 99);
        double gamma = Math.pow(40 / 0.02, 1.0 / 98);
        int steps = 5;
        double eps = AnnealedLangevin.ncsnv2StepSize(l, steps);
        double s2 = 0.02 * 0.02;
        double v = gamma * gamma * s2;
        double a = 1 - eps / (2 * s2);
        for (int k = 0; k < steps; k++) {
            v = a * a * v + eps;
        }
        double f = AnnealedLangevin.spread(eps / s2, gamma, steps);
        assertEquals(v / s2, f, 1e-9 * f);
        assertTrue(f > 1);
        assertTrue(f <= AnnealedLangevin.spread(0.99 * eps / s2, gamma, steps));
        assertTrue(f <= AnnealedLangevin.spread(1.01 * eps / s2, gamma, steps));
        System.out.printf("technique 4 for 99 levels 40 .. 0.02, T = 5: eps = %.4g (eps/sigma_L^2 = %.4f), f = %.5f%n", eps,
                eps / s2, f);
    }
}
