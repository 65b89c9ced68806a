package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Φ, log Φ and interval log-probabilities against tabulated values, against Simpson integration
 * of the density in float64 (scaled by e^{a²/2} so far-tail integrals do not underflow), and
 * against the tail's asymptotic series.
 */
class StandardNormalTest {
    /** log ∫_a^b φ(z) dz by composite Simpson, a, b finite, the integrand scaled by e^{m²/2}, m = min(|a|, |b|) when a, b share a sign. */
    static double logIntegral(double a, double b, int intervals) {
        double shift = a > 0 ? a : b < 0 ? -b : 0; // the point of the interval nearest 0
        double h = (b - a) / intervals;
        double s = 0;
        for (int i = 0; i <= intervals; i++) {
            double z = a + i * h;
            double f = Math.exp(-0.5 * (z * z - shift * shift)) / Math.sqrt(2 * Math.PI);
            s += f * (i == 0 || i == intervals ? 1 : i % 2 == 1 ? 4 : 2);
        }
        return Math.log(s * h / 3) - 0.5 * shift * shift;
    }

    @Test
    void tabulatedValues() {
        // erf and erfc to 15 digits (A&S table 7.1 and standard tables)
        assertEquals(0.5204998778130465, StandardNormal.erf(0.5), 2e-16);
        assertEquals(0.8427007929497149, StandardNormal.erf(1), 2e-16);
        assertEquals(0.9953222650189527, StandardNormal.erf(2), 2e-16);
        assertEquals(0.004677734981047266, StandardNormal.erfc(2), 1e-15 * 0.004677734981047266);
        assertEquals(2.209049699858544e-05, StandardNormal.erfc(3), 1e-14 * 2.209049699858544e-05);
        assertEquals(1.5374597944280349e-12, StandardNormal.erfc(5), 1e-14 * 1.5374597944280349e-12);
        assertEquals(-0.5204998778130465, StandardNormal.erf(-0.5), 2e-16);
        assertEquals(1.5204998778130465, StandardNormal.erfc(-0.5), 4e-16);
        assertEquals(0.5, StandardNormal.cdf(0), 0);
        assertEquals(0.9772498680518208, StandardNormal.cdf(2), 2e-16);
        assertEquals(1.1283791670579e-5, StandardNormal.erf(1e-5), 1e-20);
    }

    @Test
    void farTailMatchesTheAsymptoticSeries() {
        // log Q(z) = −z²/2 − log(z √(2π)) + log(1 − 1/z² + 3/z⁴ − 15/z⁶ + 105/z⁸ − …), truncated before 105/z⁸
        for (double z : new double[] {20, 40, 100, 1e4}) {
            double series = -0.5 * z * z - Math.log(z * Math.sqrt(2 * Math.PI))
                    + Math.log1p(-1 / (z * z) + 3 / Math.pow(z, 4) - 15 / Math.pow(z, 6));
            assertEquals(series, StandardNormal.logSurvival(z), 1e-12 * Math.abs(series) + 110 / Math.pow(z, 8), "z " + z);
            assertEquals(series, StandardNormal.logCdf(-z), 1e-12 * Math.abs(series) + 110 / Math.pow(z, 8), "z " + z);
        }
        assertEquals(Math.log(0.5), StandardNormal.logCdf(0), 1e-16);
        assertEquals(0.0, StandardNormal.logCdf(40), 1e-300);
    }

    @Test
    void intervalsMatchSimpsonIntegration() {
        double[][] cases = {
            {-0.3, 0.2}, {0.1, 0.4}, {-2, -1.5}, {0.9, 1.1}, {1.2, 1.3}, {3, 3.5}, {-7, -6.2}, {10, 10.5},
            {30, 30.01}, {-35, -34.5}, {-1.5, 2.5}, {-6, 7}, {0, 1e-3}, {2.5, 9}, {-0.001, 0.001}, {37, 38},
        };
        for (double[] c : cases) {
            double want = logIntegral(c[0], c[1], 20_000);
            double got = StandardNormal.logProbability(c[0], c[1]);
            System.out.printf("log P(%g < Z < %g) = %.15g (Simpson %.15g)%n", c[0], c[1], got, want);
            assertEquals(want, got, 1e-11 * Math.max(1, Math.abs(want)), c[0] + ", " + c[1]);
        }
    }

    @Test
    void halfLinesMatchTheCdf() {
        for (double z : new double[] {-30, -3, -0.5, 0, 0.7, 4, 25}) {
            assertEquals(StandardNormal.logCdf(z), StandardNormal.logProbability(Double.NEGATIVE_INFINITY, z), 1e-14
                    * Math.max(1, Math.abs(StandardNormal.logCdf(z))));
            assertEquals(StandardNormal.logSurvival(z), StandardNormal.logProbability(z, Double.POSITIVE_INFINITY),
                    1e-14 * Math.max(1, Math.abs(StandardNormal.logSurvival(z))));
        }
        assertEquals(0.0, StandardNormal.logProbability(Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY), 0);
        assertTrue(Double.isInfinite(StandardNormal.logProbability(1, 1)));
        assertThrows(IllegalArgumentException.class, () -> StandardNormal.logProbability(2, 1));
    }
}
