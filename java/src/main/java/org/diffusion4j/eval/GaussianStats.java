package org.diffusion4j.eval;

import java.util.Objects;
import java.util.stream.IntStream;

/**
 * The mean μ and covariance Σ of a feature set in float64, and the Fréchet distance between
 * two such Gaussians (Dowson and Landau 1982), the FID of Heusel et al. 2017 when the features
 * are a classifier's:
 * <pre>
 * d² = |μ₁ − μ₂|² + tr(Σ₁ + Σ₂ − 2 (Σ₁^½ Σ₂ Σ₁^½)^½)
 * </pre>
 * Σ is the unbiased sample covariance (divisor N − 1, as numpy's {@code np.cov} that pytorch-fid
 * uses), computed in two passes (centre, then the products) from the float32 features widened
 * to float64. The square roots are exact symmetric ones, from {@link SymmetricEigen}'s
 * Householder + implicit-QR decomposition: Σ₁^½ = V √Λ Vᵀ, and tr (Σ₁^½ Σ₂ Σ₁^½)^½ = Σᵢ √μᵢ over
 * the eigenvalues μᵢ of the symmetric positive semi-definite M = Σ₁^½ Σ₂ Σ₁^½ (pytorch-fid
 * takes scipy's general {@code sqrtm} of the non-symmetric Σ₁Σ₂ instead, whose rounding can give
 * complex parts; the symmetric form cannot). Eigenvalues at rounding level, at most D ε max|λ|
 * (negative ones included, which for a covariance are rounding), are clamped to 0
 * ({@link SymmetricEigen#clampedValues()}), so a singular covariance (fewer samples than
 * dimensions, or features confined to a subspace) costs no √ε-sized error.
 *
 * <p>Immutable: the arrays it is given or returns are copies.
 */
public final class GaussianStats {
    private final int count;
    private final double[] mean;
    private final double[][] covariance;

    private GaussianStats(int count, double[] mean, double[][] covariance) {
        this.count = count;
        this.mean = mean;
        this.covariance = covariance;
    }

    /**
     * Mean and covariance of {@code features}: N rows of D floats each, N ≥ 2.
     *
     * @throws IllegalArgumentException on fewer than 2 rows, ragged rows or non-finite values
     */
    public static GaussianStats of(float[][] features) {
        int d = Features.checkRows(features, "features");
        int n = features.length;
        if (n < 2) {
            throw new IllegalArgumentException("features has " + n + " rows; a covariance needs at least 2");
        }
        double[] mu = new double[d];
        for (float[] row : features) {
            for (int j = 0; j < d; j++) {
                mu[j] += row[j];
            }
        }
        for (int j = 0; j < d; j++) {
            mu[j] /= n;
        }
        // centred features, transposed: column j of the data is the contiguous centred[j]
        double[][] centred = new double[d][n];
        for (int i = 0; i < n; i++) {
            float[] row = features[i];
            for (int j = 0; j < d; j++) {
                centred[j][i] = row[j] - mu[j];
            }
        }
        double[][] cov = new double[d][d];
        IntStream.range(0, d).parallel().forEach(j -> {
            double[] cj = centred[j];
            for (int k = 0; k <= j; k++) {
                double[] ck = centred[k];
                double s = 0;
                for (int i = 0; i < n; i++) {
                    s += cj[i] * ck[i];
                }
                cov[j][k] = s / (n - 1);
            }
        });
        for (int j = 0; j < d; j++) {
            for (int k = 0; k < j; k++) {
                cov[k][j] = cov[j][k];
            }
        }
        return new GaussianStats(n, mu, cov);
    }

    /**
     * Given statistics (e.g. stored reference statistics of a data set). {@code covariance} must
     * be D × D and symmetric to within 1e-9 of its largest entry; it is symmetrised.
     *
     * @param count the number of samples they came from (informational; 0 if unknown)
     */
    public static GaussianStats of(double[] mean, double[][] covariance, int count) {
        Objects.requireNonNull(mean, "mean");
        Objects.requireNonNull(covariance, "covariance");
        int d = mean.length;
        if (d == 0) {
            throw new IllegalArgumentException("mean is empty");
        }
        if (count < 0) {
            throw new IllegalArgumentException("count is " + count + "; it must be >= 0");
        }
        if (covariance.length != d) {
            throw new IllegalArgumentException("covariance has " + covariance.length + " rows; the mean has " + d + " entries");
        }
        double max = 0;
        for (int i = 0; i < d; i++) {
            if (!Double.isFinite(mean[i])) {
                throw new IllegalArgumentException("mean[" + i + "] is " + mean[i]);
            }
            if (covariance[i] == null || covariance[i].length != d) {
                throw new IllegalArgumentException("covariance row " + i + " has "
                        + (covariance[i] == null ? "no" : covariance[i].length) + " entries; it must have " + d);
            }
            for (int j = 0; j < d; j++) {
                double x = covariance[i][j];
                if (!Double.isFinite(x)) {
                    throw new IllegalArgumentException("covariance[" + i + "][" + j + "] is " + x);
                }
                max = Math.max(max, Math.abs(x));
            }
        }
        double[][] cov = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double a = covariance[i][j];
                double b = covariance[j][i];
                if (Math.abs(a - b) > 1e-9 * max) {
                    throw new IllegalArgumentException("covariance is not symmetric: [" + i + "][" + j + "] is " + a
                            + " but [" + j + "][" + i + "] is " + b);
                }
                cov[i][j] = 0.5 * (a + b);
            }
        }
        return new GaussianStats(count, mean.clone(), cov);
    }

    /** The number of feature rows these statistics came from. */
    public int count() {
        return count;
    }

    /** D, the feature dimension. */
    public int dimension() {
        return mean.length;
    }

    public double[] mean() {
        return mean.clone();
    }

    public double[][] covariance() {
        double[][] c = new double[covariance.length][];
        for (int i = 0; i < c.length; i++) {
            c[i] = covariance[i].clone();
        }
        return c;
    }

    /**
     * The squared Fréchet distance d² between N(μ₁, Σ₁) and N(μ₂, Σ₂) (the FID when these are
     * classifier features); 0 for identical statistics up to rounding (a rounding-negative
     * result is returned as 0).
     */
    public static double frechetDistance(GaussianStats a, GaussianStats b) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        int d = a.dimension();
        if (b.dimension() != d) {
            throw new IllegalArgumentException("the statistics have dimensions " + d + " and " + b.dimension());
        }
        double meanTerm = 0;
        for (int i = 0; i < d; i++) {
            double diff = a.mean[i] - b.mean[i];
            meanTerm += diff * diff;
        }
        double traceSqrt = traceSqrtProduct(a.covariance, b.covariance);
        double d2 = meanTerm + trace(a.covariance) + trace(b.covariance) - 2 * traceSqrt;
        return Math.max(d2, 0.0);
    }

    /**
     * tr (Σ₁^½ Σ₂ Σ₁^½)^½ = Σᵢ √μᵢ, μᵢ the eigenvalues of M = Σ₁^½ Σ₂ Σ₁^½ (symmetric positive
     * semi-definite when Σ₁ and Σ₂ are), those at rounding level clamped to 0.
     */
    static double traceSqrtProduct(double[][] s1, double[][] s2) {
        double[][] root = SymmetricEigen.of(s1).sqrtPsd();
        double[][] m = multiply(multiply(root, s2), root);
        int d = m.length;
        for (int i = 0; i < d; i++) { // symmetrise away the products' rounding
            for (int j = 0; j < i; j++) {
                double x = 0.5 * (m[i][j] + m[j][i]);
                m[i][j] = x;
                m[j][i] = x;
            }
        }
        double sum = 0;
        for (double mu : SymmetricEigen.clampRounding(SymmetricEigen.valuesOf(m))) {
            sum += Math.sqrt(mu);
        }
        return sum;
    }

    private static double trace(double[][] m) {
        double t = 0;
        for (int i = 0; i < m.length; i++) {
            t += m[i][i];
        }
        return t;
    }

    /** a b for square matrices, rows in parallel. */
    static double[][] multiply(double[][] a, double[][] b) {
        int n = a.length;
        double[][] c = new double[n][n];
        IntStream.range(0, n).parallel().forEach(i -> {
            double[] ai = a[i];
            double[] ci = c[i];
            for (int k = 0; k < n; k++) {
                double x = ai[k];
                double[] bk = b[k];
                for (int j = 0; j < n; j++) {
                    ci[j] += x * bk[j];
                }
            }
        });
        return c;
    }
}
