package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The bound's per-dimension terms, shared by the evaluation suite and the hybrid loss: the KL
 * between Gaussians and the discretized decoder against float64 Simpson integration, and their
 * log-variance derivatives against central differences of those references (not of the code
 * under test), across the bins' centre, edges and far tails.
 */
class GaussianLossesTest {
    // ---- the KL and the decoder against numerical integration ----------------------------------

    /** ∫ q log(q/p) by Simpson over μ₁ ± 14σ₁ (both densities as logs, so the ratio never underflows). */
    static double klByIntegration(double m1, double v1, double m2, double v2) {
        double s1 = Math.sqrt(v1);
        double a = m1 - 14 * s1;
        double b = m1 + 14 * s1;
        int n = 40_000;
        double h = (b - a) / n;
        double sum = 0;
        for (int i = 0; i <= n; i++) {
            double x = a + i * h;
            double logQ = -0.5 * Math.log(2 * Math.PI * v1) - (x - m1) * (x - m1) / (2 * v1);
            double logP = -0.5 * Math.log(2 * Math.PI * v2) - (x - m2) * (x - m2) / (2 * v2);
            sum += Math.exp(logQ) * (logQ - logP) * (i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2);
        }
        return sum * h / 3;
    }

    @Test
    void normalKlMatchesIntegration() {
        double[][] cases = {{0, 1, 0, 1}, {0.3, 1e-4, 0.31, 2e-4}, {0.3, 2e-4, 0.29, 1e-4}, {-0.5, 0.02, 0.1, 0.5},
            {1, 0.9, -1, 0.1}, {0.01, 1e-5, 0.01, 1e-5}};
        for (double[] c : cases) {
            double want = klByIntegration(c[0], c[1], c[2], c[3]);
            double got = GaussianLosses.normalKl(c[0], Math.log(c[1]), c[2], Math.log(c[3]));
            assertEquals(want, got, 1e-9 * Math.max(1, want), java.util.Arrays.toString(c));
        }
        // the variances swapped is a different (wrong) divergence
        double right = klByIntegration(-0.5, 0.02, 0.1, 0.5);
        assertTrue(Math.abs(GaussianLosses.normalKl(-0.5, Math.log(0.5), 0.1, Math.log(0.02)) - right) > 1, "swapped variances");
    }

    /** The bin's mass by Simpson on its support (the open ends cut at 40σ beyond the edge). */
    static double binMassByIntegration(int level, double mean, double sigma) {
        double centre = -1 + 2.0 * level / 255;
        double lo = level == 0 ? Math.min(centre, mean) - 40 * sigma : centre - 1.0 / 255;
        double hi = level == 255 ? Math.max(centre, mean) + 40 * sigma : centre + 1.0 / 255;
        int n = 200_000;
        double h = (hi - lo) / n;
        double sum = 0;
        for (int i = 0; i <= n; i++) {
            double x = lo + i * h;
            double f = Math.exp(-(x - mean) * (x - mean) / (2 * sigma * sigma)) / (sigma * Math.sqrt(2 * Math.PI));
            sum += f * (i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2);
        }
        return sum * h / 3;
    }

    @Test
    void decoderMatchesIntegration() {
        // inner and edge levels; the mean on, near and far from the bin (up to ~20σ, where the mass is ~1e-90)
        int[] levels = {0, 1, 77, 128, 254, 255};
        double[] sigmas = {0.01, 0.003, 0.2};
        for (int level : levels) {
            double x = -1 + 2.0 * level / 255;
            for (double sigma : sigmas) {
                for (double offset : new double[] {0, 0.002, -0.013, 0.05, -0.06}) {
                    double mean = x + offset;
                    double want = Math.log(binMassByIntegration(level, mean, sigma));
                    double got = GaussianLosses.discretizedLogLikelihood(x, mean, Math.log(sigma));
                    assertEquals(want, got, 1e-9 * Math.max(1, Math.abs(want)),
                            "level " + level + " mean " + mean + " sigma " + sigma);
                }
            }
        }
    }

    @Test
    void decoderMassesSumToOne() {
        for (double mean : new double[] {-1.2, -0.3, 0.0, 0.77, 1.0, 3.0}) {
            for (double sigma : new double[] {1e-3, 0.01, 0.5, 4}) {
                double sum = 0;
                for (int k = 0; k < 256; k++) {
                    sum += Math.exp(GaussianLosses.discretizedLogLikelihood(-1 + 2.0 * k / 255, mean, Math.log(sigma)));
                }
                assertEquals(1.0, sum, 1e-12, "mean " + mean + " sigma " + sigma);
            }
        }
        // an off-grid value is scored in its nearest level's bin
        assertEquals(GaussianLosses.discretizedLogLikelihood(-1 + 2.0 * 9 / 255, 0.1, -3),
                GaussianLosses.discretizedLogLikelihood(-1 + 2.0 * 9.3 / 255, 0.1, -3), 0);
    }

    // ---- the derivatives the hybrid loss trains the variance with -----------------------------

    @Test
    void klGradientMatchesCentralDifferencesOfTheIntegral() {
        double[][] cases = {{0.3, 1e-4, 0.31, 2e-4}, {-0.5, 0.02, 0.1, 0.5}, {1, 0.9, -1, 0.1}, {0.01, 1e-5, 0.01, 3e-5}};
        for (double[] c : cases) {
            double lv = Math.log(c[3]);
            double h = 1e-4;
            double want = (klByIntegration(c[0], c[1], c[2], Math.exp(lv + h))
                    - klByIntegration(c[0], c[1], c[2], Math.exp(lv - h))) / (2 * h);
            double got = GaussianLosses.normalKlGradLogVar2(c[0], Math.log(c[1]), c[2], lv);
            assertEquals(want, got, 1e-6 * Math.max(1, Math.abs(want)), java.util.Arrays.toString(c));
        }
        // at the posterior's own variance and mean the KL is stationary
        assertEquals(0.0, GaussianLosses.normalKlGradLogVar2(0.2, Math.log(0.03), 0.2, Math.log(0.03)), 1e-15);
    }

    @Test
    void decoderGradientMatchesCentralDifferencesOfTheIntegral() {
        int[] levels = {0, 1, 128, 254, 255};
        for (int level : levels) {
            double x = -1 + 2.0 * level / 255;
            for (double sigma : new double[] {0.01, 0.003, 0.2}) {
                for (double offset : new double[] {0, 0.002, -0.013, 0.05}) {
                    double mean = x + offset;
                    double ls = Math.log(sigma);
                    double h = 1e-4;
                    double want = (Math.log(binMassByIntegration(level, mean, Math.exp(ls + h)))
                            - Math.log(binMassByIntegration(level, mean, Math.exp(ls - h)))) / (2 * h);
                    double got = GaussianLosses.discretizedLogLikelihoodGradLogScale(x, mean, ls);
                    assertEquals(want, got, 2e-5 * Math.max(1, Math.abs(want)),
                            "level " + level + " mean " + mean + " sigma " + sigma);
                }
            }
        }
    }

    /** Far in the tails (masses of 1e-300 and beyond) the derivative stays finite and equals −z² in the limit. */
    @Test
    void decoderGradientIsFiniteInTheTails() {
        double x = -1 + 2.0 * 100 / 255;
        double sigma = 1e-3;
        double mean = x + 0.5; // the bin ~500σ from the mean
        double g = GaussianLosses.discretizedLogLikelihoodGradLogScale(x, mean, Math.log(sigma));
        assertTrue(Double.isFinite(g), "gradient " + g);
        double z = (x + 1.0 / 255 - mean) / sigma; // the nearer edge dominates: d log P/d log σ → z² − 1 + ...
        assertEquals(z * z, g, 0.01 * z * z);
    }
}
