package org.diffusion4j.eval;

import java.util.SplittableRandom;

/**
 * Float64 matrix helpers for the evaluation tests, among them a cyclic Jacobi eigensolver: an
 * algorithm independent of {@link SymmetricEigen}'s Householder + implicit QR, used as the
 * reference.
 */
final class Matrices {
    private Matrices() {}

    /** A random orthogonal n × n matrix: modified Gram–Schmidt on Gaussian columns. */
    static double[][] randomOrthogonal(SplittableRandom r, int n) {
        double[][] q = new double[n][n];
        for (int j = 0; j < n; j++) {
            double[] col = new double[n];
            for (int i = 0; i < n; i++) {
                col[i] = r.nextGaussian();
            }
            for (int k = 0; k < j; k++) {
                double dot = 0;
                for (int i = 0; i < n; i++) {
                    dot += col[i] * q[i][k];
                }
                for (int i = 0; i < n; i++) {
                    col[i] -= dot * q[i][k];
                }
            }
            double norm = 0;
            for (double c : col) {
                norm += c * c;
            }
            norm = Math.sqrt(norm);
            for (int i = 0; i < n; i++) {
                q[i][j] = col[i] / norm;
            }
        }
        return q;
    }

    /** Q diag(values) Qᵀ. */
    static double[][] withEigenvalues(double[][] q, double[] values) {
        int n = values.length;
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < n; k++) {
                    s += q[i][k] * values[k] * q[j][k];
                }
                m[i][j] = s;
            }
        }
        return m;
    }

    /** A random symmetric positive definite matrix: L Lᵀ / n + ridge I, L Gaussian. */
    static double[][] randomSpd(SplittableRandom r, int n, double ridge) {
        double[][] l = new double[n][n];
        for (double[] row : l) {
            for (int j = 0; j < n; j++) {
                row[j] = r.nextGaussian();
            }
        }
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < n; k++) {
                    s += l[i][k] * l[j][k];
                }
                m[i][j] = s / n + (i == j ? ridge : 0);
            }
        }
        return m;
    }

    static double[][] randomSymmetric(SplittableRandom r, int n) {
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                m[i][j] = m[j][i] = r.nextGaussian();
            }
        }
        return m;
    }

    static double[][] multiply(double[][] a, double[][] b) {
        int n = a.length;
        int m = b[0].length;
        double[][] c = new double[n][m];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < b.length; k++) {
                for (int j = 0; j < m; j++) {
                    c[i][j] += a[i][k] * b[k][j];
                }
            }
        }
        return c;
    }

    static double[][] transpose(double[][] a) {
        double[][] t = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                t[j][i] = a[i][j];
            }
        }
        return t;
    }

    static double frobenius(double[][] a) {
        double s = 0;
        for (double[] row : a) {
            for (double x : row) {
                s += x * x;
            }
        }
        return Math.sqrt(s);
    }

    /**
     * Cyclic Jacobi: rotations zero each off-diagonal (p, q) in turn until the off-diagonal mass
     * is below 1e-30 of the total. Returns {values (unsorted), V columns} as {λ[], V[][]} via
     * the two-element array {values, vectors}.
     */
    static Object[] jacobi(double[][] input) {
        int n = input.length;
        double[][] a = new double[n][];
        for (int i = 0; i < n; i++) {
            a[i] = input[i].clone();
        }
        double[][] v = new double[n][n];
        for (int i = 0; i < n; i++) {
            v[i][i] = 1;
        }
        double total = frobenius(a);
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    off += a[p][q] * a[p][q];
                }
            }
            if (Math.sqrt(off) <= 1e-15 * total) {
                break;
            }
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    if (a[p][q] == 0) {
                        continue;
                    }
                    // the rotation angle that zeroes a[p][q]: tan θ = t, cot 2θ = (a_qq − a_pp)/(2 a_pq)
                    double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                    double t = Math.signum(theta == 0 ? 1 : theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    double c = 1 / Math.sqrt(t * t + 1);
                    double s = t * c;
                    for (int k = 0; k < n; k++) { // A ← A J (columns p, q)
                        double akp = a[k][p];
                        double akq = a[k][q];
                        a[k][p] = c * akp - s * akq;
                        a[k][q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++) { // A ← Jᵀ A (rows p, q)
                        double apk = a[p][k];
                        double aqk = a[q][k];
                        a[p][k] = c * apk - s * aqk;
                        a[q][k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < n; k++) {
                        double vkp = v[k][p];
                        double vkq = v[k][q];
                        v[k][p] = c * vkp - s * vkq;
                        v[k][q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = a[i][i];
        }
        return new Object[] {values, v};
    }

    /** The symmetric square root V √max(Λ, 0) Vᵀ by Jacobi. */
    static double[][] sqrtByJacobi(double[][] a) {
        Object[] e = jacobi(a);
        double[] values = (double[]) e[0];
        double[] roots = new double[values.length];
        for (int i = 0; i < roots.length; i++) {
            roots[i] = Math.sqrt(Math.max(values[i], 0));
        }
        return withEigenvalues((double[][]) e[1], roots);
    }

    /**
     * The Fréchet distance by Jacobi, with the product taken in the other order than the library:
     * tr (Σ₂^½ Σ₁ Σ₂^½)^½, equal in exact arithmetic.
     */
    static double frechetReference(double[] m1, double[][] s1, double[] m2, double[][] s2) {
        double[][] r2 = sqrtByJacobi(s2);
        double[][] m = multiply(multiply(r2, s1), r2);
        for (int i = 0; i < m.length; i++) {
            for (int j = 0; j < i; j++) {
                m[i][j] = m[j][i] = 0.5 * (m[i][j] + m[j][i]);
            }
        }
        double tr = 0;
        for (double v : (double[]) jacobi(m)[0]) {
            tr += Math.sqrt(Math.max(v, 0));
        }
        double d = 0;
        for (int i = 0; i < m1.length; i++) {
            d += (m1[i] - m2[i]) * (m1[i] - m2[i]) + s1[i][i] + s2[i][i];
        }
        return d - 2 * tr;
    }
}
