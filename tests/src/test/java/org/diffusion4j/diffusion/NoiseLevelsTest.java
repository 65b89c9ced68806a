package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * NCSN's noise levels: the geometric sequence against its closed form, what {@code of} refuses,
 * NCSNv2's technique 2 ratio against the equation solved here with a normal CDF of the test's
 * own (Simpson integration of the density, not {@link StandardNormal}), and technique 1's
 * maximum pairwise distance against a float64 brute force.
 */
class NoiseLevelsTest {
    // ---- geometric and of -----------------------------------------------------------------------

    @Test
    void geometricIsAGeometricSequenceFromSigmaMaxToSigmaMin() {
        double[][] cases = {{50, 0.01, 232}, {1, 0.01, 10}, {378, 0.002, 2}, {3.5, 3.4, 1000}, {90, 0.01, 10_000}};
        for (double[] c : cases) {
            double max = c[0];
            double min = c[1];
            int l = (int) c[2];
            NoiseLevels n = NoiseLevels.geometric(max, min, l);
            double[] s = n.sigmas();
            assertEquals(l, n.levels());
            assertEquals(l, s.length);
            // the ends exactly, as given
            assertEquals(max, n.sigmaMax(), 0.0);
            assertEquals(min, n.sigmaMin(), 0.0);
            assertEquals(max, s[0], 0.0);
            assertEquals(min, s[l - 1], 0.0);
            // the closed form σ_i = σ_max (σ_min/σ_max)^{i/(L−1)}, evaluated here as a power (the code
            // uses exp/log): a few ulps of error per factor, so 1e-13 relative
            double q = min / max;
            for (int i = 0; i < l; i++) {
                double want = max * Math.pow(q, (double) i / (l - 1));
                assertEquals(want, s[i], 1e-13 * want, "L=" + l + " sigma[" + i + "]");
                assertEquals(s[i], n.sigma(i), 0.0);
            }
            // strictly descending with one ratio γ = (σ_max/σ_min)^{1/(L−1)} between neighbours
            double gamma = Math.pow(max / min, 1.0 / (l - 1));
            for (int i = 1; i < l; i++) {
                assertTrue(s[i] < s[i - 1], "L=" + l + " not descending at " + i);
                assertEquals(gamma, s[i - 1] / s[i], 1e-12 * gamma, "L=" + l + " ratio at " + i);
            }
        }
    }

    @Test
    void geometricRefusesBadEndsAndCounts() {
        assertMessage(() -> NoiseLevels.geometric(50, 0.01, 1), "levels is 1");
        assertMessage(() -> NoiseLevels.geometric(50, 0.01, 0), "levels is 0");
        assertMessage(() -> NoiseLevels.geometric(50, 0.01, NoiseLevels.MAX_LEVELS + 1), "levels is 10001");
        assertMessage(() -> NoiseLevels.geometric(0.01, 50, 10), "sigmaMax 0.01");
        assertMessage(() -> NoiseLevels.geometric(1, 1, 10), "sigmaMax 1.0 and sigmaMin 1.0");
        assertMessage(() -> NoiseLevels.geometric(1, 0, 10), "sigmaMin 0.0");
        assertMessage(() -> NoiseLevels.geometric(1, -0.5, 10), "sigmaMin -0.5");
        assertMessage(() -> NoiseLevels.geometric(Double.NaN, 0.1, 10), "sigmaMax NaN");
        assertMessage(() -> NoiseLevels.geometric(1, Double.NaN, 10), "sigmaMin NaN");
        assertMessage(() -> NoiseLevels.geometric(Double.POSITIVE_INFINITY, 0.1, 10), "sigmaMax Infinity");
    }

    @Test
    void ofKeepsAStrictlyDecreasingSequenceAndCopiesIt() {
        double[] given = {3, 2.5, 1e-3};
        NoiseLevels n = NoiseLevels.of(given);
        given[1] = 7; // a later change to the caller's array is not seen
        assertArrayEquals(new double[] {3, 2.5, 1e-3}, n.sigmas(), 0.0);
        n.sigmas()[0] = -1; // nor a change to the returned copy
        assertEquals(3, n.sigma(0), 0.0);
        assertEquals(1, NoiseLevels.of(0.5).levels());
        assertEquals(NoiseLevels.of(3, 2.5, 1e-3), n);
        assertEquals(NoiseLevels.of(3, 2.5, 1e-3).hashCode(), n.hashCode());
        assertNotEquals(NoiseLevels.of(3, 2.5, 2e-3), n);
        assertMessage(() -> n.sigma(3), "noise level 3");
        assertMessage(() -> n.sigma(-1), "noise level -1");
    }

    @Test
    void ofRefusesWhatIsNotAStrictlyDecreasingPositiveSequence() {
        assertMessage(() -> NoiseLevels.of(), "0 noise levels");
        assertMessage(() -> NoiseLevels.of(new double[NoiseLevels.MAX_LEVELS + 1]), "10001 noise levels");
        assertThrows(NullPointerException.class, () -> NoiseLevels.of((double[]) null));
        // the message names the index and the value
        assertMessage(() -> NoiseLevels.of(3, 2, 2), "sigma[2] is 2.0");  // equal neighbours
        assertMessage(() -> NoiseLevels.of(1, 2, 3), "sigma[1] is 2.0");  // ascending
        assertMessage(() -> NoiseLevels.of(3, 0, -1), "sigma[1] is 0.0");
        assertMessage(() -> NoiseLevels.of(3, 2, -1), "sigma[2] is -1.0");
        assertMessage(() -> NoiseLevels.of(-3), "sigma[0] is -3.0");
        assertMessage(() -> NoiseLevels.of(3, Double.NaN, 1), "sigma[1] is NaN");
        assertMessage(() -> NoiseLevels.of(Double.NaN), "sigma[0] is NaN");
        assertMessage(() -> NoiseLevels.of(Double.POSITIVE_INFINITY, 1), "sigma[0] is Infinity");
        // exactly MAX_LEVELS is allowed
        double[] most = new double[NoiseLevels.MAX_LEVELS];
        for (int i = 0; i < most.length; i++) {
            most[i] = most.length - i;
        }
        assertEquals(NoiseLevels.MAX_LEVELS, NoiseLevels.of(most).levels());
    }

    // ---- technique 2: the ratio ---------------------------------------------------------------

    /** Φ(a) − Φ(b), a ≥ b, by composite Simpson on the density over [b, a] cut to ±40 (φ(40) ≈ 1e-348 = 0). */
    static double normalMass(double b, double a) {
        double lo = Math.max(b, -40);
        double hi = Math.min(a, 40);
        if (!(hi > lo)) {
            return 0;
        }
        int n = 40_000; // h ≤ 0.002: Simpson's error ≤ (hi − lo) h⁴ max|φ⁗| / 180 ≈ 1e-11
        double h = (hi - lo) / n;
        double sum = 0;
        for (int i = 0; i <= n; i++) {
            double x = lo + i * h;
            sum += Math.exp(-0.5 * x * x) * (i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2);
        }
        return sum * h / 3 / Math.sqrt(2 * Math.PI);
    }

    /** NCSNv2's technique 2 overlap Φ(√(2D)(γ−1)+3γ) − Φ(√(2D)(γ−1)−3γ) with the test's own Φ. */
    static double overlap(int dimension, double gamma) {
        double r = Math.sqrt(2.0 * dimension);
        return normalMass(r * (gamma - 1) - 3 * gamma, r * (gamma - 1) + 3 * gamma);
    }

    /** γ with overlap(D, γ) = ½, by bisection on [1, 64] (the overlap falls through ½ once there for D ≥ 5). */
    static double solveRatio(int dimension) {
        double lo = 1;
        double hi = 64;
        assertTrue(overlap(dimension, lo) > 0.5 && overlap(dimension, hi) < 0.5, "bracket for D=" + dimension);
        for (int i = 0; i < 80; i++) {
            double mid = 0.5 * (lo + hi);
            if (overlap(dimension, mid) > 0.5) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return 0.5 * (lo + hi);
    }

    @Test
    void ncsnv2RatioSolvesTechniqueTwosEquation() {
        for (int d : new int[] {5, 6, 10, 784, 3072, 12288, 196_608, 10_000_000}) {
            double gamma = NoiseLevels.ncsnv2Ratio(d);
            assertTrue(gamma > 1, "D=" + d + " gamma " + gamma);
            // the equation itself, with the test's Φ (Simpson error ~1e-11)
            assertEquals(0.5, overlap(d, gamma), 1e-9, "D=" + d + " gamma " + gamma);
            // and the root found independently: d(overlap)/dγ ≈ −φ(0)(√(2D) − 3) is at least 0.06 at D=5,
            // so a mass error of 1e-11 moves γ by under 2e-10
            double want = solveRatio(d);
            assertEquals(want, gamma, 1e-9 * want, "D=" + d);
            // a ratio 1% further from 1 misses ½ by far more than that tolerance (the check can fail)
            assertTrue(Math.abs(overlap(d, 1 + 1.01 * (gamma - 1)) - 0.5) > 1e-4, "D=" + d + " insensitive");
        }
        // the larger D, the closer the levels: γ − 1 ≈ 3/(√(2D) − 3) once √(2D) ≫ 3
        double g = NoiseLevels.ncsnv2Ratio(10_000_000);
        assertEquals(3 / (Math.sqrt(2e7) - 3), g - 1, 0.01 * (g - 1));
    }

    /**
     * √(2D) ≤ 3 (D ≤ 4): the overlap stays above ½ for every γ ≥ 1 (the lower argument only falls),
     * so the equation has no root; the method must say so rather than return a number.
     */
    @Test
    void ncsnv2RatioRefusesDimensionsWithoutARoot() {
        for (int d = 1; d <= 4; d++) {
            for (double gamma : new double[] {1, 1.5, 3, 20, 1e3, 1e6}) {
                assertTrue(overlap(d, gamma) > 0.5, "D=" + d + " gamma " + gamma + ": the equation would have a root");
            }
            int dim = d;
            assertMessage(() -> NoiseLevels.ncsnv2Ratio(dim), "dimension is " + d);
            assertMessage(() -> NoiseLevels.ncsnv2(50, 0.01, dim), "dimension is " + d);
        }
        assertMessage(() -> NoiseLevels.ncsnv2Ratio(0), "dimension is 0");
        assertMessage(() -> NoiseLevels.ncsnv2Ratio(-3), "dimension is -3");
    }

    /**
     * The level counts for NCSNv2's published configurations (ermongroup/ncsnv2 configs: CIFAR-10
     * 32²·3, σ_1 = 50, L = 232; CelebA 64²·3, 90, 500; LSUN church 96²·3, 140, 788; LSUN
     * bedroom/tower 128²·3, 190, 1086; FFHQ 256²·3, 348, 2311; σ_L = 0.01 in all).
     *
     * <p>The equation at exactly ½ gives fewer levels than those configs: 220, 473, 745, 1026 and
     * 2182 = ⌈1 + log(σ_1/σ_L)/log γ⌉ with γ solved here. The published counts all correspond to an
     * overlap of 0.566–0.567 (checked below with the test's Φ), i.e. the authors' "≈ 0.5" was about
     * 0.567 in practice. This test pins both facts; it does not pretend the library reproduces 232.
     */
    @Test
    void ncsnv2LevelsForThePublishedConfigurations() {
        int[][] configs = {{3072, 50, 232}, {12288, 90, 500}, {27648, 140, 788}, {49152, 190, 1086}, {196_608, 348, 2311}};
        for (int[] c : configs) {
            int d = c[0];
            double sigmaMax = c[1];
            int published = c[2];
            NoiseLevels n = NoiseLevels.ncsnv2(sigmaMax, 0.01, d);
            double gamma = solveRatio(d);
            int want = (int) Math.ceil(1 + Math.log(sigmaMax / 0.01) / Math.log(gamma));
            assertEquals(want, n.levels(), "D=" + d + " sigma_1=" + sigmaMax);
            assertEquals(NoiseLevels.geometric(sigmaMax, 0.01, want), n);
            // the published L's own ratio sits at overlap ≈ 0.567 for every configuration
            double publishedGamma = Math.pow(sigmaMax / 0.01, 1.0 / (published - 1));
            double o = overlap(d, publishedGamma);
            assertTrue(o > 0.565 && o < 0.568, "D=" + d + " published L=" + published + " overlap " + o);
            // so ours is 5-6% fewer levels, never more
            assertTrue(n.levels() < published && n.levels() > 0.93 * published, "D=" + d + " L=" + n.levels());
        }
        assertEquals(220, NoiseLevels.ncsnv2(50, 0.01, 3072).levels()); // the CIFAR-10 number, stated
    }

    @Test
    void ncsnv2RefusesBadEnds() {
        assertMessage(() -> NoiseLevels.ncsnv2(0.01, 50, 3072), "sigmaMax 0.01");
        assertMessage(() -> NoiseLevels.ncsnv2(50, 0, 3072), "sigmaMin 0.0");
        assertMessage(() -> NoiseLevels.ncsnv2(Double.NaN, 0.01, 3072), "sigmaMax NaN");
        assertMessage(() -> NoiseLevels.ncsnv2(Double.POSITIVE_INFINITY, 0.01, 3072), "Infinity");
        // a ratio too close to 1 for MAX_LEVELS levels is refused, not truncated
        assertMessage(() -> NoiseLevels.ncsnv2(1e6, 1e-6, 100_000_000), "levels is");
        // ends closer than one ratio still get two levels
        NoiseLevels two = NoiseLevels.ncsnv2(1.01, 1.0, 3072);
        assertEquals(NoiseLevels.of(1.01, 1.0), two);
    }

    // ---- technique 1: the largest pairwise distance ---------------------------------------------

    static double bruteForceMaxDistance(float[][] x) {
        double best = 0;
        for (int i = 0; i < x.length; i++) {
            for (int j = i + 1; j < x.length; j++) {
                double s = 0;
                for (int k = 0; k < x[i].length; k++) {
                    double d = (double) x[i][k] - x[j][k];
                    s += d * d;
                }
                best = Math.max(best, s);
            }
        }
        return Math.sqrt(best);
    }

    static float[][] randomImages(Random r, int n, int d, double offset, double scale) {
        float[][] x = new float[n][d];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < d; k++) {
                x[i][k] = (float) (offset + scale * r.nextGaussian());
            }
        }
        return x;
    }

    @Test
    void maxPairwiseDistanceMatchesBruteForce() {
        Random r = new Random(20200613);
        int[][] sizes = {{2, 1}, {2, 784}, {3, 17}, {10, 3072}, {37, 64}, {64, 5}};
        for (int[] s : sizes) {
            for (double[] dist : new double[][] {{0, 1}, {0.5, 0.5}, {-3, 40}}) {
                float[][] x = randomImages(r, s[0], s[1], dist[0], dist[1]);
                double want = bruteForceMaxDistance(x);
                // both sum the same float64 squares of exact float differences; only the order of the
                // sums can differ: relative 1e-12
                assertEquals(want, NoiseLevels.maxPairwiseDistance(x), 1e-12 * want, s[0] + "x" + s[1]);
            }
        }
        // a set whose farthest pair is not the first: one outlier in the middle
        float[][] x = randomImages(r, 20, 100, 0, 1);
        for (int k = 0; k < 100; k++) {
            x[13][k] += 5;
        }
        assertEquals(bruteForceMaxDistance(x), NoiseLevels.maxPairwiseDistance(x), 1e-12 * bruteForceMaxDistance(x));
    }

    @Test
    void maxPairwiseDistanceOfSmallCases() {
        assertEquals(5.0, NoiseLevels.maxPairwiseDistance(new float[][] {{0, 0}, {3, 4}}), 0.0);
        assertEquals(5.0, NoiseLevels.maxPairwiseDistance(new float[][] {{1, 1}, {1, 1}, {4, 5}}), 0.0);
        float[] a = {0.25f, -1.5f, 3f, 7f};
        assertEquals(0.0, NoiseLevels.maxPairwiseDistance(new float[][] {a, a.clone(), a.clone()}), 0.0);
        assertEquals(0.0, NoiseLevels.maxPairwiseDistance(new float[][] {{}, {}}), 0.0); // D = 0
    }

    /**
     * Near-duplicate images on a large common offset: the pairs' distances (~0.045) are tiny next
     * to the norms (~3e3), so a float32 dot product (error ~1e-3 in the squared distance) cannot
     * rank them; the result must still be the exact maximum.
     */
    @Test
    void maxPairwiseDistanceIsExactForNearDuplicatesOnAnOffset() {
        for (int seed = 0; seed < 40; seed++) {
            Random r = new Random(seed);
            int d = 1000;
            float[][] x = new float[4][d];
            for (int k = 0; k < d; k++) {
                float base = (float) (100 + r.nextGaussian());
                for (int i = 0; i < x.length; i++) {
                    x[i][k] = base + 0.001f * (float) r.nextGaussian();
                }
            }
            double want = bruteForceMaxDistance(x);
            assertEquals(want, NoiseLevels.maxPairwiseDistance(x), 1e-12 * want, "seed " + seed);
        }
    }

    @Test
    void maxPairwiseDistanceRefusesBadSets() {
        assertMessage(() -> NoiseLevels.maxPairwiseDistance(new float[0][]), "0 images");
        assertMessage(() -> NoiseLevels.maxPairwiseDistance(new float[][] {{1, 2}}), "1 images");
        assertMessage(() -> NoiseLevels.maxPairwiseDistance(new float[][] {{1, 2}, {1, 2}, {1, 2, 3}}),
                "image 2 has 3 values, image 0 has 2");
        assertMessage(() -> NoiseLevels.maxPairwiseDistance(new float[][] {{1, 2, 3}, {1}}), "image 1 has 1 values");
        assertThrows(NullPointerException.class, () -> NoiseLevels.maxPairwiseDistance(null));
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable call, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), "message \"" + e.getMessage() + "\" lacks \"" + part + "\"");
    }
}
