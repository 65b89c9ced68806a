package org.diffusion4j.diffusion;

/**
 * The standard normal distribution in float64, written for the tails: log Φ and log of interval
 * probabilities stay accurate (relative error about 1e-13 or better) where Φ itself underflows or
 * rounds to 1, so a discretized-Gaussian likelihood never needs a clamp like improved-diffusion's
 * {@code log(max(p, 1e-12))} (which also uses a tanh approximation of Φ; this class does not).
 *
 * <p>erf(x) for |x| < 2 is the everywhere-positive series
 * erf(x) = (2/√π) e^{−x²} Σ_{n≥0} 2ⁿ x^{2n+1} / (1·3·…·(2n+1)) (Abramowitz and Stegun 7.1.6),
 * which is relatively accurate near 0; for x ≥ 2 the scaled complement erfcx(x) = e^{x²} erfc(x)
 * is the continued fraction erfc(x) = (e^{−x²}/√π) / (x + (1/2)/(x + 1/(x + (3/2)/(x + …))))
 * (A&S 7.1.14), evaluated by the modified Lentz method, so log erfc(x) = log erfcx(x) − x² never
 * underflows.
 */
public final class StandardNormal {
    private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);
    private static final double SQRT_HALF = Math.sqrt(0.5);
    private static final double LN2 = Math.log(2.0);
    /** Below this, erf by its series; above, erfc by its continued fraction. */
    private static final double SWITCH = 2.0;

    private StandardNormal() {}

    /** erf(x). */
    public static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double a = Math.abs(x);
        double r = a < SWITCH ? erfSeries(a) : 1.0 - Math.exp(-a * a) * erfcxFraction(a);
        return Math.copySign(r, x);
    }

    /** erfc(x) = 1 − erf(x), relatively accurate for large positive x (until it underflows). */
    public static double erfc(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        if (x < 0) {
            return 1.0 + erf(-x);
        }
        return x < SWITCH ? 1.0 - erfSeries(x) : Math.exp(-x * x) * erfcxFraction(x);
    }

    /** log erfc(x) for x ≥ 0, without underflow. */
    static double logErfc(double x) {
        if (x < SWITCH) {
            return Math.log1p(-erfSeries(x));
        }
        if (Double.isInfinite(x)) {
            return Double.NEGATIVE_INFINITY;
        }
        return Math.log(erfcxFraction(x)) - x * x;
    }

    /** Φ(z). */
    public static double cdf(double z) {
        return 0.5 * erfc(-z * SQRT_HALF);
    }

    /** log Q(z) = log(1 − Φ(z)), the upper tail, accurate far into it. */
    public static double logSurvival(double z) {
        if (Double.isNaN(z)) {
            return z;
        }
        if (z < 0) {
            return Math.log1p(-0.5 * erfc(-z * SQRT_HALF));
        }
        return logErfc(z * SQRT_HALF) - LN2;
    }

    /** log Φ(z), accurate far into the lower tail. */
    public static double logCdf(double z) {
        return logSurvival(-z);
    }

    /**
     * log P(a < Z < b) for Z ~ N(0, 1) and a ≤ b (either may be infinite): in the tails as the
     * log of a difference of upper-tail probabilities, log Q(a) + log(1 − e^{log Q(b) − log Q(a)}),
     * near the centre as a difference (or sum) of erf values, and as log1p(−Q(b) − Q(−a)) when
     * the interval holds nearly all the mass.
     */
    public static double logProbability(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b)) {
            return Double.NaN;
        }
        if (!(a <= b)) {
            throw new IllegalArgumentException("interval (" + a + ", " + b + ") has a > b");
        }
        if (a == b) {
            return Double.NEGATIVE_INFINITY;
        }
        if (b <= 0) { // mirror into the upper half
            double t = a;
            a = -b;
            b = -t;
        }
        if (a >= 0) { // 0 ≤ a < b
            if (a < 1.0) {
                return Math.log(0.5 * (erfOrOne(b) - erf(a * SQRT_HALF)));
            }
            double la = logSurvival(a);
            double lb = Double.isInfinite(b) ? Double.NEGATIVE_INFINITY : logSurvival(b);
            return la + log1mExp(lb - la);
        }
        // a < 0 < b: the interval straddles the mode
        double lo = -a;
        if (Math.min(lo, b) < 1.0) {
            return Math.log(0.5 * (erfOrOne(b) + erfOrOne(lo)));
        }
        double tails = (Double.isInfinite(b) ? 0.0 : 0.5 * erfc(b * SQRT_HALF))
                + (Double.isInfinite(lo) ? 0.0 : 0.5 * erfc(lo * SQRT_HALF));
        return Math.log1p(-tails);
    }

    /** erf(z/√2), 1 at +∞. */
    private static double erfOrOne(double z) {
        return Double.isInfinite(z) ? 1.0 : erf(z * SQRT_HALF);
    }

    /** log(1 − e^d) for d ≤ 0 (Mächler 2012: expm1 near 0, log1p further out). */
    private static double log1mExp(double d) {
        return d > -LN2 ? Math.log(-Math.expm1(d)) : Math.log1p(-Math.exp(d));
    }

    /** erf(x) for 0 ≤ x < SWITCH by the positive series. */
    private static double erfSeries(double x) {
        double x2 = x * x;
        double term = x;
        double sum = x;
        for (int n = 1; n < 200; n++) {
            term *= 2.0 * x2 / (2 * n + 1);
            sum += term;
            if (term < 1e-17 * sum) {
                break;
            }
        }
        return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
    }

    /** e^{x²} erfc(x) for x ≥ SWITCH: the continued fraction by the modified Lentz method. */
    private static double erfcxFraction(double x) {
        final double tiny = 1e-300;
        // K = x + a1/(x + a2/(x + ...)), a_n = n/2; erfcx = 1/(√π K)
        double f = x;
        double c = x;
        double d = 0.0;
        for (int n = 1; n < 5000; n++) {
            double an = 0.5 * n;
            d = x + an * d;
            d = d == 0 ? tiny : d;
            c = x + an / c;
            c = c == 0 ? tiny : c;
            d = 1.0 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1.0) < 1e-16) {
                break;
            }
        }
        return 1.0 / (Math.sqrt(Math.PI) * f);
    }
}
