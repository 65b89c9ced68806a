package org.diffusion4j.eval;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Improved precision and recall (Kynkäänniemi et al. 2019, "Improved Precision and Recall Metric
 * for Assessing Generative Models") in a feature space. Each set's manifold is the union of balls
 * around its points, the radius of a point being the distance to its k-th nearest neighbour in
 * its own set (the point itself not counted). Precision is the fraction of fake (generated)
 * samples inside the real manifold, recall the fraction of real samples inside the fake one;
 * "inside" is ‖φ − φ'‖ ≤ radius(φ') for some φ' of the other set, as in the authors' code.
 *
 * <p>Distances are Euclidean in float64 (squared, compared with squared radii). The neighbour
 * search is exact and O(N²D) (three N × N passes), parallel over query points: for
 * N = 10 000 and D = 128 some 4·10¹⁰ multiply-adds.
 *
 * @param precision fraction of {@code fake} inside the real manifold, in [0, 1]
 * @param recall fraction of {@code real} inside the fake manifold, in [0, 1]
 * @param k the neighbour that sets each radius
 * @param realCount number of real samples
 * @param fakeCount number of fake samples
 */
public record PrecisionRecall(double precision, double recall, int k, int realCount, int fakeCount) {
    /** The paper's default neighbourhood size. */
    public static final int DEFAULT_K = 3;

    /** Precision and recall with k = {@value #DEFAULT_K}. */
    public static PrecisionRecall of(float[][] real, float[][] fake) {
        return of(real, fake, DEFAULT_K);
    }

    /**
     * @param real the real samples' features, N_r rows of D
     * @param fake the generated samples' features, N_f rows of D
     * @param k the neighbour that sets the radius, 1 ≤ k < min(N_r, N_f)
     */
    public static PrecisionRecall of(float[][] real, float[][] fake, int k) {
        int d = Features.checkRows(real, "real");
        int df = Features.checkRows(fake, "fake");
        if (df != d) {
            throw new IllegalArgumentException("real features have " + d + " entries per row but fake ones " + df);
        }
        if (k < 1 || k >= real.length || k >= fake.length) {
            throw new IllegalArgumentException("k is " + k + "; it must be at least 1 and below both set sizes ("
                    + real.length + " real, " + fake.length + " fake)");
        }
        double[][] r = widen(real);
        double[][] f = widen(fake);
        double[] realRadii = kthNeighbourSquared(r, k);
        double[] fakeRadii = kthNeighbourSquared(f, k);
        double precision = fractionInside(f, r, realRadii);
        double recall = fractionInside(r, f, fakeRadii);
        return new PrecisionRecall(precision, recall, k, real.length, fake.length);
    }

    /** The squared distance of each point of {@code x} to its k-th nearest other point of {@code x}. */
    static double[] kthNeighbourSquared(double[][] x, int k) {
        int n = x.length;
        double[] out = new double[n];
        IntStream.range(0, n).parallel().forEach(i -> {
            double[] best = new double[k]; // the k smallest so far, ascending
            Arrays.fill(best, Double.POSITIVE_INFINITY);
            double[] xi = x[i];
            double[] d4 = new double[4];
            int j = 0;
            for (; j + 4 <= n; j += 4) {
                squaredDistances4(xi, x[j], x[j + 1], x[j + 2], x[j + 3], d4);
                for (int u = 0; u < 4; u++) {
                    if (j + u != i) {
                        insert(best, d4[u]);
                    }
                }
            }
            for (; j < n; j++) {
                if (j != i) {
                    insert(best, squaredDistance(xi, x[j]));
                }
            }
            out[i] = best[k - 1];
        });
        return out;
    }

    /** Keeps {@code best} the ascending k smallest values seen. */
    private static void insert(double[] best, double s) {
        int p = best.length - 1;
        if (!(s < best[p])) {
            return;
        }
        while (p > 0 && best[p - 1] > s) {
            best[p] = best[p - 1];
            p--;
        }
        best[p] = s;
    }

    /** The fraction of {@code queries} within radius of some point of {@code support}. */
    static double fractionInside(double[][] queries, double[][] support, double[] radiiSquared) {
        int m = support.length;
        long inside = IntStream.range(0, queries.length).parallel().filter(i -> {
            double[] q = queries[i];
            double[] d4 = new double[4];
            int j = 0;
            for (; j + 4 <= m; j += 4) {
                squaredDistances4(q, support[j], support[j + 1], support[j + 2], support[j + 3], d4);
                if (d4[0] <= radiiSquared[j] || d4[1] <= radiiSquared[j + 1] || d4[2] <= radiiSquared[j + 2]
                        || d4[3] <= radiiSquared[j + 3]) {
                    return true;
                }
            }
            for (; j < m; j++) {
                if (squaredDistance(q, support[j]) <= radiiSquared[j]) {
                    return true;
                }
            }
            return false;
        }).count();
        return (double) inside / queries.length;
    }

    static double squaredDistance(double[] a, double[] b) {
        double s = 0;
        for (int j = 0; j < a.length; j++) {
            double t = a[j] - b[j];
            s += t * t;
        }
        return s;
    }

    /**
     * |a − b_u|² for four points at once: four independent sums (the float64 reduction does not
     * vectorise, so one sum would wait on each add's latency) sharing each load of a.
     */
    static void squaredDistances4(double[] a, double[] b0, double[] b1, double[] b2, double[] b3, double[] out) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        for (int j = 0; j < a.length; j++) {
            double x = a[j];
            double t0 = x - b0[j];
            double t1 = x - b1[j];
            double t2 = x - b2[j];
            double t3 = x - b3[j];
            s0 += t0 * t0;
            s1 += t1 * t1;
            s2 += t2 * t2;
            s3 += t3 * t3;
        }
        out[0] = s0;
        out[1] = s1;
        out[2] = s2;
        out[3] = s3;
    }

    private static double[][] widen(float[][] x) {
        double[][] w = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            w[i] = new double[x[i].length];
            for (int j = 0; j < w[i].length; j++) {
                w[i][j] = x[i][j];
            }
        }
        return w;
    }
}
