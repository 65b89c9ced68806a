package org.diffusion4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Improved precision and recall on constructed sets with known answers (identical sets, far
 * disjoint clusters, a fake set covering one of two real clusters, a hand-worked line) and
 * against a brute-force float64 reference written from the paper's definition.
 */
class PrecisionRecallTest {
    static float[][] cluster(SplittableRandom r, int n, int d, double centre, double spread) {
        float[][] x = new float[n][d];
        for (float[] row : x) {
            for (int j = 0; j < d; j++) {
                row[j] = (float) (centre + spread * r.nextGaussian());
            }
        }
        return x;
    }

    static float[][] concat(float[][] a, float[][] b) {
        float[][] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void identicalSetsGiveOneAndOne() {
        float[][] x = cluster(new SplittableRandom(1), 300, 16, 0, 1);
        PrecisionRecall pr = PrecisionRecall.of(x, x);
        assertEquals(1.0, pr.precision());
        assertEquals(1.0, pr.recall());
        assertEquals(3, pr.k());
    }

    @Test
    void farDisjointClustersGiveZeroAndZero() {
        SplittableRandom r = new SplittableRandom(2);
        PrecisionRecall pr = PrecisionRecall.of(cluster(r, 200, 8, 0, 1), cluster(r, 150, 8, 100, 1));
        assertEquals(0.0, pr.precision());
        assertEquals(0.0, pr.recall());
        assertEquals(200, pr.realCount());
        assertEquals(150, pr.fakeCount());
    }

    @Test
    void fakeCoveringOneOfTwoRealClusters() {
        // real = A ∪ B (far apart), fake = A: every fake is a real point (precision 1), and
        // exactly A's reals lie in the fake manifold (recall |A| / (|A| + |B|))
        SplittableRandom r = new SplittableRandom(3);
        float[][] a = cluster(r, 120, 10, 0, 1);
        float[][] b = cluster(r, 80, 10, 50, 1);
        PrecisionRecall pr = PrecisionRecall.of(concat(a, b), a, 3);
        assertEquals(1.0, pr.precision());
        assertEquals(120.0 / 200.0, pr.recall(), 1e-15);
        // and the other way round: fake = A ∪ B against real = A
        PrecisionRecall rp = PrecisionRecall.of(a, concat(a, b), 3);
        assertEquals(120.0 / 200.0, rp.precision(), 1e-15);
        assertEquals(1.0, rp.recall());
    }

    @Test
    void handWorkedLine() {
        // real on a line at 0, 1, 2, 3, 4: with k = 1 every radius is 1; fake at 0.5 and 10.
        // Precision: 0.5 is within 1 of 0, 10 is 6 from 4 → 1/2. Fake radii (k = 1): 9.5 each,
        // so all reals lie within 9.5 of 0.5 → recall 1. With k = 2 the real radii are 2 (ends)
        // and 1 (inside): still only 0.5 inside → 1/2.
        float[][] real = {{0}, {1}, {2}, {3}, {4}};
        float[][] fake = {{0.5f}, {10}};
        PrecisionRecall pr = PrecisionRecall.of(real, fake, 1);
        assertEquals(0.5, pr.precision());
        assertEquals(1.0, pr.recall());
        // a fake at exactly a radius counts as inside (≤, as in the authors' code): 5 is 1 from 4
        PrecisionRecall edge = PrecisionRecall.of(real, new float[][] {{5}, {10}, {-2}}, 1);
        assertEquals(1.0 / 3.0, edge.precision(), 1e-15);
    }

    /** The definition, directly: all distances, sort, take the k-th; then the ball test. */
    static double[] reference(float[][] real, float[][] fake, int k) {
        double[] rr = radii(real, k);
        double[] rf = radii(fake, k);
        return new double[] {inside(fake, real, rr), inside(real, fake, rf)};
    }

    static double dist(float[] a, float[] b) {
        double s = 0;
        for (int j = 0; j < a.length; j++) {
            s += ((double) a[j] - b[j]) * ((double) a[j] - b[j]);
        }
        return Math.sqrt(s);
    }

    static double[] radii(float[][] x, int k) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double[] d = new double[x.length];
            for (int j = 0; j < x.length; j++) {
                d[j] = dist(x[i], x[j]);
            }
            Arrays.sort(d); // d[0] is the point itself
            out[i] = d[k];
        }
        return out;
    }

    static double inside(float[][] q, float[][] s, double[] radii) {
        int count = 0;
        for (float[] p : q) {
            for (int j = 0; j < s.length; j++) {
                if (dist(p, s[j]) <= radii[j]) {
                    count++;
                    break;
                }
            }
        }
        return (double) count / q.length;
    }

    @Test
    void overlappingSetsMatchTheBruteForceReference() {
        SplittableRandom r = new SplittableRandom(4);
        for (int k : new int[] {1, 3, 5}) {
            float[][] real = cluster(r, 400, 12, 0, 1);
            float[][] fake = concat(cluster(r, 250, 12, 0.3, 0.7), cluster(r, 60, 12, 3, 0.5));
            PrecisionRecall pr = PrecisionRecall.of(real, fake, k);
            double[] ref = reference(real, fake, k);
            System.out.printf("k %d: precision %.4f recall %.4f (reference %.4f %.4f)%n", k, pr.precision(), pr.recall(),
                    ref[0], ref[1]);
            assertEquals(ref[0], pr.precision(), 1e-15);
            assertEquals(ref[1], pr.recall(), 1e-15);
            assertTrue(pr.precision() > 0.05 && pr.precision() < 0.95, "a non-trivial case");
        }
    }

    @Test
    void duplicatePointsHaveZeroRadius() {
        // three copies of each of two points: with k = 2 every radius is 0, so only exact matches are inside
        float[][] real = {{1, 1}, {1, 1}, {1, 1}, {5, 5}, {5, 5}, {5, 5}};
        float[][] fake = {{1, 1}, {1, 1.001f}, {1, 1}};
        PrecisionRecall pr = PrecisionRecall.of(real, fake, 2);
        assertEquals(2.0 / 3.0, pr.precision(), 1e-15);
    }

    @Test
    void rejectsBadInput() {
        float[][] x = {{0}, {1}, {2}};
        assertThrows(IllegalArgumentException.class, () -> PrecisionRecall.of(x, x, 3)); // k must be below the set size
        assertThrows(IllegalArgumentException.class, () -> PrecisionRecall.of(x, x, 0));
        assertThrows(IllegalArgumentException.class, () -> PrecisionRecall.of(x, new float[][] {{0, 1}, {1, 1}}, 1));
        assertThrows(IllegalArgumentException.class, () -> PrecisionRecall.of(new float[0][], x, 1));
        assertThrows(NullPointerException.class, () -> PrecisionRecall.of(null, x, 1));
    }

    @Test
    void fiveThousandPointsInReasonableTime() {
        SplittableRandom r = new SplittableRandom(5);
        float[][] real = cluster(r, 5000, 128, 0, 1);
        float[][] fake = cluster(r, 5000, 128, 0.05, 1);
        long t0 = System.nanoTime();
        PrecisionRecall pr = PrecisionRecall.of(real, fake);
        double s = (System.nanoTime() - t0) / 1e9;
        // 128-dimensional Gaussians: the k-NN balls cover about half of a same-distribution set
        System.out.printf("N = 5000 x 2, D = 128: precision %.4f recall %.4f in %.1f s (%d cores)%n", pr.precision(),
                pr.recall(), s, Runtime.getRuntime().availableProcessors());
        assertTrue(pr.precision() > 0.3 && pr.precision() < 0.8 && pr.recall() > 0.3 && pr.recall() < 0.8);
    }
}
