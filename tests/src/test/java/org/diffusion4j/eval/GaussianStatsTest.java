package org.diffusion4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The Fréchet distance against closed forms (diagonal covariances, and covariances sharing a
 * random eigenbasis, where tr (Σ₁^½ Σ₂ Σ₁^½)^½ = Σ √(aᵢ bᵢ)), against a Jacobi-based float64
 * reference on random non-commuting covariances, for identical and swapped arguments, and from
 * sampled features of Gaussians with known covariances; and a deliberately wrong square root
 * (elementwise) that the closed form rejects.
 */
class GaussianStatsTest {
    static double[] randomVector(SplittableRandom r, int d, double scale) {
        double[] m = new double[d];
        for (int i = 0; i < d; i++) {
            m[i] = scale * r.nextGaussian();
        }
        return m;
    }

    static double[][] diagonal(double[] v) {
        double[][] m = new double[v.length][v.length];
        for (int i = 0; i < v.length; i++) {
            m[i][i] = v[i];
        }
        return m;
    }

    /** |Δμ|² + Σ (√aᵢ − √bᵢ)²: the distance when both covariances are diagonal in one basis. */
    static double commutingClosedForm(double[] m1, double[] a, double[] m2, double[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d += (m1[i] - m2[i]) * (m1[i] - m2[i]);
            d += (Math.sqrt(a[i]) - Math.sqrt(b[i])) * (Math.sqrt(a[i]) - Math.sqrt(b[i]));
        }
        return d;
    }

    static double[] positive(SplittableRandom r, int d) {
        double[] v = new double[d];
        for (int i = 0; i < d; i++) {
            v[i] = 0.05 + 3 * r.nextDouble();
        }
        return v;
    }

    @Test
    void diagonalCovariancesMatchTheClosedForm() {
        SplittableRandom r = new SplittableRandom(1);
        int d = 128;
        double[] m1 = randomVector(r, d, 1);
        double[] m2 = randomVector(r, d, 1);
        double[] a = positive(r, d);
        double[] b = positive(r, d);
        double got = GaussianStats.frechetDistance(GaussianStats.of(m1, diagonal(a), 0), GaussianStats.of(m2, diagonal(b), 0));
        double want = commutingClosedForm(m1, a, m2, b);
        System.out.printf("diagonal, D = %d: %.15g vs closed form %.15g%n", d, got, want);
        assertEquals(want, got, 1e-11 * want);
    }

    @Test
    void sharedEigenbasisMatchesTheClosedFormAndElementwiseSqrtDoesNot() {
        SplittableRandom r = new SplittableRandom(2);
        int d = 64;
        double[][] q = Matrices.randomOrthogonal(r, d);
        double[] m1 = randomVector(r, d, 0.5);
        double[] m2 = randomVector(r, d, 0.5);
        double[] a = positive(r, d);
        double[] b = positive(r, d);
        double[][] s1 = Matrices.withEigenvalues(q, a);
        double[][] s2 = Matrices.withEigenvalues(q, b);
        double want = commutingClosedForm(m1, a, m2, b);
        double got = GaussianStats.frechetDistance(GaussianStats.of(m1, s1, 0), GaussianStats.of(m2, s2, 0));
        System.out.printf("shared eigenbasis, D = %d: %.15g vs closed form %.15g%n", d, got, want);
        assertEquals(want, got, 1e-10 * want);

        // the wrong variant: "√M" as the elementwise √|m_ij| of M = Σ₁^½ Σ₂ Σ₁^½ (a sqrt that is only right for diagonal M)
        double[][] root1 = SymmetricEigen.of(s1).sqrtPsd();
        double[][] m = Matrices.multiply(Matrices.multiply(root1, s2), root1);
        double wrongTrace = 0;
        for (int i = 0; i < d; i++) {
            wrongTrace += Math.sqrt(Math.abs(m[i][i]));
        }
        double wrong = 0;
        for (int i = 0; i < d; i++) {
            wrong += (m1[i] - m2[i]) * (m1[i] - m2[i]) + s1[i][i] + s2[i][i];
        }
        wrong -= 2 * wrongTrace;
        System.out.printf("elementwise sqrt: %.6g vs %.6g%n", wrong, want);
        assertTrue(Math.abs(wrong - want) > 0.01 * want, "the elementwise square root should miss the closed form");
    }

    @Test
    void randomCovariancesMatchTheJacobiReference() {
        SplittableRandom r = new SplittableRandom(3);
        for (int d : new int[] {1, 2, 7, 40, 128}) {
            double[] m1 = randomVector(r, d, 1);
            double[] m2 = randomVector(r, d, 1);
            double[][] s1 = Matrices.randomSpd(r, d, 0.01);
            double[][] s2 = Matrices.randomSpd(r, d, 1e-4);
            double got = GaussianStats.frechetDistance(GaussianStats.of(m1, s1, 0), GaussianStats.of(m2, s2, 0));
            double want = Matrices.frechetReference(m1, s1, m2, s2);
            System.out.printf("random SPD, D = %d: %.15g vs Jacobi reference %.15g%n", d, got, want);
            assertEquals(want, got, 1e-10 * Math.max(want, 1));
        }
    }

    @Test
    void rankDeficientCovariancesAreHandled() {
        // features confined to a 5-dimensional subspace of 20: Σ is singular, its zero eigenvalues round to ±ε
        SplittableRandom r = new SplittableRandom(4);
        int d = 20;
        double[][] q = Matrices.randomOrthogonal(r, d);
        double[] a = new double[d];
        double[] b = new double[d];
        for (int i = 0; i < 5; i++) {
            a[i] = 1 + i;
            b[i] = 2 + 0.5 * i;
        }
        double[] mu = new double[d];
        double got = GaussianStats.frechetDistance(GaussianStats.of(mu, Matrices.withEigenvalues(q, a), 0),
                GaussianStats.of(mu, Matrices.withEigenvalues(q, b), 0));
        double want = commutingClosedForm(mu, a, mu, b);
        System.out.printf("rank 5 of 20: %.15g vs closed form %.15g%n", got, want);
        assertEquals(want, got, 1e-10 * want);
    }

    static float[][] sample(SplittableRandom r, int n, double[] mu, double[][] cov) {
        double[][] l = SymmetricEigen.of(cov).sqrtPsd(); // x = μ + Σ^½ z has covariance Σ
        int d = mu.length;
        float[][] x = new float[n][d];
        double[] z = new double[d];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < d; k++) {
                z[k] = r.nextGaussian();
            }
            for (int j = 0; j < d; j++) {
                double s = mu[j];
                for (int k = 0; k < d; k++) {
                    s += l[j][k] * z[k];
                }
                x[i][j] = (float) s;
            }
        }
        return x;
    }

    @Test
    void statisticsOfFeaturesMatchAFloat64Reference() {
        SplittableRandom r = new SplittableRandom(5);
        int d = 16;
        float[][] x = sample(r, 3000, randomVector(r, d, 2), Matrices.randomSpd(r, d, 0.1));
        GaussianStats s = GaussianStats.of(x);
        double[] mean = new double[d];
        for (float[] row : x) {
            for (int j = 0; j < d; j++) {
                mean[j] += row[j] / (double) x.length;
            }
        }
        double[][] cov = new double[d][d];
        for (float[] row : x) {
            for (int j = 0; j < d; j++) {
                for (int k = 0; k < d; k++) {
                    cov[j][k] += (row[j] - mean[j]) * (row[k] - mean[k]) / (x.length - 1);
                }
            }
        }
        assertEquals(3000, s.count());
        assertArrayEquals(mean, s.mean(), 1e-12);
        for (int j = 0; j < d; j++) {
            assertArrayEquals(cov[j], s.covariance()[j], 1e-12);
        }
    }

    @Test
    void sampledFeaturesConvergeToTheTrueDistance() {
        SplittableRandom r = new SplittableRandom(6);
        int d = 8;
        double[] m1 = randomVector(r, d, 1);
        double[] m2 = randomVector(r, d, 1);
        double[][] s1 = Matrices.randomSpd(r, d, 0.2);
        double[][] s2 = Matrices.randomSpd(r, d, 0.2);
        double exact = Matrices.frechetReference(m1, s1, m2, s2);
        double got = GaussianStats.frechetDistance(GaussianStats.of(sample(r, 40_000, m1, s1)),
                GaussianStats.of(sample(r, 40_000, m2, s2)));
        System.out.printf("sampled, D = %d, N = 40000: %.5f vs exact %.5f%n", d, got, exact);
        assertEquals(exact, got, 0.03 * exact);
    }

    @Test
    void identicalSetsGiveZeroAndArgumentsCommute() {
        SplittableRandom r = new SplittableRandom(7);
        int d = 128;
        float[][] x = sample(r, 2000, randomVector(r, d, 1), Matrices.randomSpd(r, d, 0.05));
        float[][] y = sample(r, 2000, randomVector(r, d, 1), Matrices.randomSpd(r, d, 0.05));
        GaussianStats sx = GaussianStats.of(x);
        GaussianStats sy = GaussianStats.of(y);
        double self = GaussianStats.frechetDistance(sx, sx);
        double trace = 0;
        for (int i = 0; i < d; i++) {
            trace += sx.covariance()[i][i];
        }
        double xy = GaussianStats.frechetDistance(sx, sy);
        double yx = GaussianStats.frechetDistance(sy, sx);
        System.out.printf("FID(X, X) = %.3g (trace %.3g); FID(X, Y) = %.12g, FID(Y, X) = %.12g%n", self, trace, xy, yx);
        assertTrue(self <= 1e-10 * trace, "FID(X, X) = " + self);
        assertEquals(xy, yx, 1e-10 * xy);
    }

    @Test
    void rejectsBadInput() {
        assertThrows(IllegalArgumentException.class, () -> GaussianStats.of(new float[][] {{1, 2}}));
        assertThrows(IllegalArgumentException.class, () -> GaussianStats.of(new float[][] {{1, 2}, {3}}));
        assertThrows(IllegalArgumentException.class, () -> GaussianStats.of(new float[][] {{1, Float.NaN}, {3, 4}}));
        assertThrows(IllegalArgumentException.class,
                () -> GaussianStats.of(new double[] {0, 0}, new double[][] {{1, 0.5}, {0.4, 1}}, 0));
        GaussianStats a = GaussianStats.of(new double[] {0}, new double[][] {{1}}, 0);
        GaussianStats b = GaussianStats.of(new double[] {0, 0}, new double[][] {{1, 0}, {0, 1}}, 0);
        assertThrows(IllegalArgumentException.class, () -> GaussianStats.frechetDistance(a, b));
    }
}
