package org.diffusion4j.eval;

import java.util.Arrays;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * The eigendecomposition A = V Λ Vᵀ of a real symmetric matrix in float64, in two stages
 * (Golub and Van Loan, Matrix Computations, §8.3): Householder reflections reduce A to a
 * tridiagonal T = Qᵀ A Q (Algorithm 8.3.1), then implicit symmetric QR steps with the Wilkinson
 * shift (Algorithm 8.3.2), each a chase of one bulge by Givens rotations, drive T's off-diagonal
 * to zero; the rotations, accumulated into Q, give V. O(n³) for the whole decomposition, about
 * (4/3) n³ without the vectors. Chosen over cyclic Jacobi (simpler, but some ten sweeps of 4n³
 * each) so that 2048-dimensional features (Inception's) stay in seconds.
 *
 * <p>Eigenvalues come in ascending order; column j of {@link #vectors()} is the unit eigenvector
 * of value j. Only the lower triangle of the input is read.
 */
public final class SymmetricEigen {
    private static final double EPS = Math.ulp(1.0);
    private static final int MAX_SWEEPS_PER_VALUE = 60;

    private final double[] values;
    private final double[][] vectors; // null when not asked for

    private SymmetricEigen(double[] values, double[][] vectors) {
        this.values = values;
        this.vectors = vectors;
    }

    /** Eigenvalues and eigenvectors of the symmetric matrix {@code a} (n × n). */
    public static SymmetricEigen of(double[][] a) {
        return decompose(a, true);
    }

    /** Eigenvalues only (ascending), about three times faster than {@link #of}. */
    public static double[] valuesOf(double[][] a) {
        return decompose(a, false).values;
    }

    /** The eigenvalues, ascending. */
    public double[] values() {
        return values.clone();
    }

    /** V, n × n: column j is the eigenvector of {@code values()[j]}. */
    public double[][] vectors() {
        double[][] v = new double[vectors.length][];
        for (int i = 0; i < v.length; i++) {
            v[i] = vectors[i].clone();
        }
        return v;
    }

    /**
     * The eigenvalues of a positive semi-definite matrix, with those at rounding level clamped to
     * 0: every λ ≤ n ε max|λ| (ε = 2⁻⁵², the backward error of the decomposition), which takes in
     * the small negative values rounding gives a singular matrix. Without the clamp each zero
     * eigenvalue, computed as ±1e-16·max|λ|, would add an error of order 1e-8·√max|λ| to a square
     * root.
     */
    public double[] clampedValues() {
        return clampRounding(values);
    }

    /** {@link #clampedValues()} of the eigenvalues {@code values} of an n × n matrix, n = values.length. */
    static double[] clampRounding(double[] values) {
        int n = values.length;
        double max = 0;
        for (double v : values) {
            max = Math.max(max, Math.abs(v));
        }
        double floor = n * EPS * max;
        double[] c = new double[n];
        for (int j = 0; j < n; j++) {
            c[j] = values[j] <= floor ? 0.0 : values[j];
        }
        return c;
    }

    /**
     * V √Λ Vᵀ: the symmetric square root of a positive semi-definite matrix, over
     * {@link #clampedValues()}.
     */
    public double[][] sqrtPsd() {
        int n = values.length;
        double[] f = clampedValues();
        for (int j = 0; j < n; j++) {
            f[j] = Math.sqrt(f[j]);
        }
        double[][] r = new double[n][n];
        IntStream.range(0, n).parallel().forEach(i -> {
            double[] vi = vectors[i];
            double[] ri = r[i];
            double[] w = new double[n];
            for (int k = 0; k < n; k++) {
                w[k] = vi[k] * f[k];
            }
            for (int j = 0; j <= i; j++) {
                double[] vj = vectors[j];
                double s = 0;
                for (int k = 0; k < n; k++) {
                    s += w[k] * vj[k];
                }
                ri[j] = s;
            }
        });
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                r[j][i] = r[i][j];
            }
        }
        return r;
    }

    private static SymmetricEigen decompose(double[][] input, boolean wantVectors) {
        Objects.requireNonNull(input, "a");
        int n = input.length;
        if (n == 0) {
            throw new IllegalArgumentException("the matrix is empty");
        }
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) {
            if (input[i] == null || input[i].length != n) {
                throw new IllegalArgumentException("row " + i + " has " + (input[i] == null ? "no" : input[i].length)
                        + " entries; the matrix must be " + n + " x " + n);
            }
            for (int j = 0; j <= i; j++) {
                double x = input[i][j];
                if (!Double.isFinite(x)) {
                    throw new IllegalArgumentException("entry (" + i + ", " + j + ") is " + x);
                }
                a[i][j] = x;
                a[j][i] = x;
            }
        }
        double[] d = new double[n];
        double[] e = new double[n]; // e[k] couples k and k + 1; e[n − 1] unused
        double[][] q = wantVectors ? identity(n) : null;
        tridiagonalize(a, d, e, q);
        implicitQr(d, e, q);
        return sorted(d, q);
    }

    /**
     * Householder reduction: for k = 0 .. n − 3 the reflector H = I − β v vᵀ maps the column
     * a[k+1.., k] onto a multiple of its first unit vector; A₂₂ ← H A₂₂ H is applied as the
     * symmetric rank-2 update A₂₂ − v wᵀ − w vᵀ with p = β A₂₂ v, w = p − (β pᵀv / 2) v, and
     * Q ← Q H accumulates the reflectors. Leaves d = diag(T), e = the off-diagonal of T.
     */
    private static void tridiagonalize(double[][] a, double[] d, double[] e, double[][] q) {
        int n = a.length;
        double[] v = new double[n];
        double[] p = new double[n];
        for (int k = 0; k < n - 2; k++) {
            int m = k + 1; // the reflector acts on indices m .. n − 1
            double scale = 0;
            for (int i = m; i < n; i++) {
                scale = Math.max(scale, Math.abs(a[i][k]));
            }
            if (scale == 0) {
                e[k] = 0;
                continue;
            }
            double norm2 = 0;
            for (int i = m; i < n; i++) {
                v[i] = a[i][k] / scale; // scaled against overflow and underflow
                norm2 += v[i] * v[i];
            }
            double norm = Math.sqrt(norm2);
            double alpha = v[m] > 0 ? -norm : norm; // the sign that avoids cancellation in v[m]
            v[m] -= alpha;
            double vtv = norm2 - 2 * alpha * (v[m] + alpha) + alpha * alpha; // |x − α e₁|²
            e[k] = alpha * scale;
            double beta = 2.0 / vtv;
            // p = β A₂₂ v (A₂₂ symmetric, both triangles kept current)
            double ptv = 0;
            for (int i = m; i < n; i++) {
                double[] ai = a[i];
                double s = 0;
                for (int j = m; j < n; j++) {
                    s += ai[j] * v[j];
                }
                p[i] = beta * s;
                ptv += p[i] * v[i];
            }
            double kk = 0.5 * beta * ptv;
            for (int i = m; i < n; i++) {
                p[i] -= kk * v[i]; // p is now w
            }
            for (int i = m; i < n; i++) {
                double[] ai = a[i];
                double vi = v[i];
                double wi = p[i];
                for (int j = m; j < n; j++) {
                    ai[j] -= vi * p[j] + wi * v[j];
                }
            }
            if (q != null) { // Q ← Q H: each row r of Q loses β (r · v) v
                for (double[] qr : q) {
                    double s = 0;
                    for (int j = m; j < n; j++) {
                        s += qr[j] * v[j];
                    }
                    s *= beta;
                    for (int j = m; j < n; j++) {
                        qr[j] -= s * v[j];
                    }
                }
            }
        }
        for (int i = 0; i < n; i++) {
            d[i] = a[i][i];
        }
        if (n >= 2) {
            e[n - 2] = a[n - 1][n - 2];
        }
        e[n - 1] = 0;
    }

    /**
     * Implicit symmetric QR on the tridiagonal (d, e): deflate every negligible e[k]
     * (|e[k]| ≤ ε (|d[k]| + |d[k+1]|)), then on the last unreduced block [l, m] one step with the
     * Wilkinson shift μ (the eigenvalue of the trailing 2 × 2 nearer d[m]): a rotation of
     * (d[l] − μ, e[l]) starts a bulge, further rotations chase it off the end. Each rotation R on
     * coordinates (k, k + 1) maps T to R T Rᵀ and Q to Q Rᵀ, so A = Q T Qᵀ throughout.
     */
    private static void implicitQr(double[] d, double[] e, double[][] q) {
        int n = d.length;
        int m = n - 1;
        int steps = 0;
        while (m > 0) {
            for (int k = 0; k < m; k++) {
                if (Math.abs(e[k]) <= EPS * (Math.abs(d[k]) + Math.abs(d[k + 1])) || Math.abs(e[k]) < Double.MIN_NORMAL) {
                    e[k] = 0;
                }
            }
            if (e[m - 1] == 0) {
                m--;
                steps = 0;
                continue;
            }
            int l = m - 1;
            while (l > 0 && e[l - 1] != 0) {
                l--;
            }
            if (++steps > MAX_SWEEPS_PER_VALUE) {
                throw new ArithmeticException("symmetric QR did not converge for eigenvalue " + m + " of " + n);
            }
            qrStep(d, e, q, l, m);
        }
    }

    private static void qrStep(double[] d, double[] e, double[][] q, int l, int m) {
        double delta = 0.5 * (d[m - 1] - d[m]);
        double em = e[m - 1];
        double root = Math.hypot(delta, em);
        double mu = d[m] - em * em / (delta + (delta >= 0 ? root : -root));
        double x = d[l] - mu;
        double z = e[l];
        for (int k = l; k < m; k++) {
            double r = Math.hypot(x, z);
            double c = r == 0 ? 1.0 : x / r;
            double s = r == 0 ? 0.0 : z / r;
            if (k > l) {
                e[k - 1] = r; // the bulge at (k + 1, k − 1) is gone
            }
            // R B Rᵀ for the 2 × 2 block B = [[d_k, e_k], [e_k, d_{k+1}]], R = [[c, s], [−s, c]]
            double a = d[k];
            double b = e[k];
            double dd = d[k + 1];
            double cs = c * s;
            d[k] = c * c * a + 2 * cs * b + s * s * dd;
            d[k + 1] = s * s * a - 2 * cs * b + c * c * dd;
            e[k] = cs * (dd - a) + (c * c - s * s) * b;
            if (k + 1 < m) { // column k + 2: (0, e_{k+1}) becomes (s e_{k+1}, c e_{k+1})
                z = s * e[k + 1]; // the new bulge at (k, k + 2)
                e[k + 1] *= c;
                x = e[k];
            }
            if (q != null) {
                for (double[] qr : q) {
                    double u = qr[k];
                    double w = qr[k + 1];
                    qr[k] = c * u + s * w;
                    qr[k + 1] = -s * u + c * w;
                }
            }
        }
    }

    private static SymmetricEigen sorted(double[] d, double[][] q) {
        int n = d.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (i, j) -> Double.compare(d[i], d[j]));
        double[] values = new double[n];
        for (int j = 0; j < n; j++) {
            values[j] = d[order[j]];
        }
        if (q == null) {
            return new SymmetricEigen(values, null);
        }
        double[][] v = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                v[i][j] = q[i][order[j]];
            }
        }
        return new SymmetricEigen(values, v);
    }

    private static double[][] identity(int n) {
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) {
            m[i][i] = 1;
        }
        return m;
    }
}
