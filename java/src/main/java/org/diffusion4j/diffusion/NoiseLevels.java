package org.diffusion4j.diffusion;

import java.util.Arrays;
import java.util.Objects;

/**
 * The noise levels σ_1 &gt; σ_2 &gt; … &gt; σ_L of a noise-conditional score network (Song &amp; Ermon
 * 2019), index 0 the largest. {@link #geometric} spaces them as NCSN does; {@link #ncsnv2} picks
 * their number by NCSNv2's technique 2 (Song &amp; Ermon 2020) for data of a given dimension, and
 * {@link #maxPairwiseDistance} is technique 1's measure for σ_1.
 */
public final class NoiseLevels {
    /** The most levels a process may have. */
    public static final int MAX_LEVELS = 10_000;

    private final double[] sigmas;

    private NoiseLevels(double[] sigmas) {
        this.sigmas = sigmas;
    }

    /**
     * Any strictly decreasing sequence of finite positive σ.
     *
     * @throws IllegalArgumentException naming the first σ that is not finite and positive, or not below its predecessor
     */
    public static NoiseLevels of(double... sigmas) {
        Objects.requireNonNull(sigmas, "sigmas");
        if (sigmas.length < 1 || sigmas.length > MAX_LEVELS) {
            throw new IllegalArgumentException(sigmas.length + " noise levels; give 1 to " + MAX_LEVELS);
        }
        for (int i = 0; i < sigmas.length; i++) {
            if (!(sigmas[i] > 0) || Double.isInfinite(sigmas[i])) {
                throw new IllegalArgumentException("sigma[" + i + "] is " + sigmas[i] + "; it must be finite and > 0");
            }
            if (i > 0 && !(sigmas[i] < sigmas[i - 1])) {
                throw new IllegalArgumentException("sigma[" + i + "] is " + sigmas[i] + ", not below sigma[" + (i - 1)
                        + "] = " + sigmas[i - 1] + "; the levels must decrease strictly");
            }
        }
        return new NoiseLevels(sigmas.clone());
    }

    /** L levels from sigmaMax down to sigmaMin in a geometric progression: σ_i = σ_max (σ_min/σ_max)^{i/(L−1)}. */
    public static NoiseLevels geometric(double sigmaMax, double sigmaMin, int levels) {
        if (!(sigmaMin > 0) || !(sigmaMax > sigmaMin) || Double.isInfinite(sigmaMax)) {
            throw new IllegalArgumentException("sigmaMax " + sigmaMax + " and sigmaMin " + sigmaMin
                    + " must be finite with sigmaMax > sigmaMin > 0");
        }
        if (levels < 2 || levels > MAX_LEVELS) {
            throw new IllegalArgumentException("levels is " + levels + "; a geometric sequence needs 2 to " + MAX_LEVELS);
        }
        double[] s = new double[levels];
        double logRatio = Math.log(sigmaMin / sigmaMax);
        for (int i = 0; i < levels; i++) {
            s[i] = sigmaMax * Math.exp(logRatio * i / (levels - 1));
        }
        s[0] = sigmaMax;
        s[levels - 1] = sigmaMin;
        return of(s);
    }

    /**
     * NCSNv2's technique 2: the ratio γ = σ_{i−1}/σ_i of a geometric sequence for data of
     * {@code dimension} D, solving Φ(√(2D)(γ − 1) + 3γ) − Φ(√(2D)(γ − 1) − 3γ) = ½ (so that a
     * sample of level i − 1 lies, with probability ½, within three standard deviations of the
     * shell level i's samples occupy).
     *
     * @throws IllegalArgumentException for dimension &lt; 5, where the equation has no root
     */
    public static double ncsnv2Ratio(int dimension) {
        if (dimension < 5) {
            // for √(2D) ≤ 3 the lower argument √(2D)(γ − 1) − 3γ only falls as γ grows, the overlap
            // stays above ½ and the equation has no root
            throw new IllegalArgumentException("dimension is " + dimension
                    + "; technique 2's equation has a root only for dimension >= 5 (sqrt(2D) > 3)");
        }
        double r = Math.sqrt(2.0 * dimension);
        double lo = 1.0;
        double hi = 1.0;
        while (shellOverlap(r, hi) > 0.5) {
            hi *= 2;
        }
        for (int i = 0; i < 200; i++) { // the overlap falls as γ grows
            double mid = 0.5 * (lo + hi);
            if (shellOverlap(r, mid) > 0.5) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return 0.5 * (lo + hi);
    }

    private static double shellOverlap(double r, double g) {
        return StandardNormal.cdf(r * (g - 1) + 3 * g) - StandardNormal.cdf(r * (g - 1) - 3 * g);
    }

    /**
     * The geometric sequence from sigmaMax to sigmaMin with as many levels as NCSNv2's technique 2
     * asks for data of {@code dimension}: L = ⌈1 + log(σ_max/σ_min) / log γ⌉, γ = {@link #ncsnv2Ratio}.
     */
    public static NoiseLevels ncsnv2(double sigmaMax, double sigmaMin, int dimension) {
        if (!(sigmaMin > 0) || !(sigmaMax > sigmaMin) || Double.isInfinite(sigmaMax)) {
            throw new IllegalArgumentException("sigmaMax " + sigmaMax + " and sigmaMin " + sigmaMin
                    + " must be finite with sigmaMax > sigmaMin > 0");
        }
        double gamma = ncsnv2Ratio(dimension);
        int levels = (int) Math.ceil(1 + Math.log(sigmaMax / sigmaMin) / Math.log(gamma));
        return geometric(sigmaMax, sigmaMin, Math.max(2, levels));
    }

    /**
     * NCSNv2's technique 1 measure: the largest Euclidean distance between two of {@code images}
     * (each a flat vector of the same length), σ_1's recommended value. O(N² D): pass a subset
     * for a large data set (its maximum is then a lower bound of the whole set's).
     */
    public static double maxPairwiseDistance(float[][] images) {
        Objects.requireNonNull(images, "images");
        if (images.length < 2) {
            throw new IllegalArgumentException(images.length + " images; the distance needs at least 2");
        }
        int d = images[0].length;
        double[] norms = new double[images.length];
        for (int i = 0; i < images.length; i++) {
            if (images[i].length != d) {
                throw new IllegalArgumentException("image " + i + " has " + images[i].length + " values, image 0 has " + d);
            }
            double s = 0;
            for (float v : images[i]) {
                s += (double) v * v;
            }
            norms[i] = s;
        }
        // |float dot − a·b| ≤ γ_{d+1} Σ|a_k b_k| ≤ γ_{d+1} ‖a‖‖b‖ (recursive summation, u = 2⁻²⁴), so a
        // pair whose estimate plus twice that bound (and the float64 rounding of the norms) does not
        // reach the best exact square cannot win; any other pair is refined
        double du = (d + 1) * 0x1p-24;
        double gammaD = du < 0.5 ? du / (1 - du) : Double.POSITIVE_INFINITY;
        double best = 0;
        for (int i = 0; i < images.length; i++) {
            float[] a = images[i];
            for (int j = i + 1; j < images.length; j++) {
                float[] b = images[j];
                float dot = 0; // float accumulation vectorises; the squared distance is refined below when it may win
                for (int k = 0; k < d; k++) {
                    dot += a[k] * b[k];
                }
                double sq = norms[i] + norms[j] - 2.0 * dot;
                double slack = 2 * gammaD * Math.sqrt(norms[i] * norms[j]) + (d + 4) * 0x1p-52 * (norms[i] + norms[j]);
                if (!(sq + slack < best) || !Float.isFinite(dot)) { // an overflowed or NaN estimate is refined too
                    double exact = 0;
                    for (int k = 0; k < d; k++) {
                        double diff = (double) a[k] - b[k];
                        exact += diff * diff;
                    }
                    best = Math.max(best, exact);
                }
            }
        }
        return Math.sqrt(best);
    }

    /** L, the number of levels. */
    public int levels() {
        return sigmas.length;
    }

    /** σ at index i (0: the largest). */
    public double sigma(int i) {
        checkIndex(i);
        return sigmas[i];
    }

    public double sigmaMax() {
        return sigmas[0];
    }

    public double sigmaMin() {
        return sigmas[sigmas.length - 1];
    }

    /** Every σ, largest first. */
    public double[] sigmas() {
        return sigmas.clone();
    }

    void checkIndex(int i) {
        if (i < 0 || i >= sigmas.length) {
            throw new IllegalArgumentException("noise level " + i + " is outside [0, " + sigmas.length + ")");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NoiseLevels n && Arrays.equals(n.sigmas, sigmas);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(sigmas);
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%d levels, sigma %.6g .. %.6g", sigmas.length, sigmaMax(), sigmaMin());
    }
}
