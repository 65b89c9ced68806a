package org.diffusion4j.diffusion;

/**
 * The two per-dimension terms of the variational bound (DDPM eq. 5), in float64 nats, with their
 * derivatives in the model's log-variance: the KL between Gaussians (the terms L_{t−1}) and the
 * discretized Gaussian decoder of 8-bit data (L_0). One implementation serves the evaluation
 * suite's bound ({@code VariationalBound}) and Improved DDPM's hybrid training loss
 * ({@link GaussianDiffusion#vlbTerms}), so the loss trains the quantity the suite reports.
 */
public final class GaussianLosses {
    /** The number of 8-bit levels. */
    public static final int LEVELS = 256;
    /** Half the width of one level's bin on [−1, 1]: 1/255. */
    public static final double HALF_BIN = 1.0 / 255.0;
    private static final double HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

    private GaussianLosses() {}

    /**
     * KL(N(mean1, e^{logVar1}) ‖ N(mean2, e^{logVar2})) in one dimension:
     * ½ (−1 + logVar2 − logVar1 + e^{logVar1 − logVar2} + (mean1 − mean2)² e^{−logVar2}).
     */
    public static double normalKl(double mean1, double logVar1, double mean2, double logVar2) {
        double d = mean1 - mean2;
        return 0.5 * (-1.0 + logVar2 - logVar1 + Math.exp(logVar1 - logVar2) + d * d * Math.exp(-logVar2));
    }

    /** ∂ {@link #normalKl} / ∂ logVar2 = ½ (1 − e^{logVar1 − logVar2} − (mean1 − mean2)² e^{−logVar2}). */
    public static double normalKlGradLogVar2(double mean1, double logVar1, double mean2, double logVar2) {
        double d = mean1 - mean2;
        return 0.5 * (1.0 - Math.exp(logVar1 - logVar2) - d * d * Math.exp(-logVar2));
    }

    /**
     * log p(x) of the discretized Gaussian decoder, in nats: the mass of N(mean, e^{2 logScale})
     * over x's 8-bit bin [x − 1/255, x + 1/255], the bin of level 0 extended to −∞ and that of
     * level 255 to +∞, x taken to its nearest level −1 + 2k/255. The tails are computed by
     * {@link StandardNormal#logProbability}, without improved-diffusion's tanh approximation of Φ
     * and its 1e-12 clamp.
     *
     * @param x a value in [−1, 1]
     */
    public static double discretizedLogLikelihood(double x, double mean, double logScale) {
        double[] ab = binEdges(x, mean, logScale);
        return StandardNormal.logProbability(ab[0], ab[1]);
    }

    /**
     * ∂ {@link #discretizedLogLikelihood} / ∂ logScale. With the bin's standardized edges a and b
     * (∂a/∂logScale = −a), it is (a φ(a) − b φ(b)) / P(a &lt; Z &lt; b), each ratio φ/P formed as
     * e^{log φ − log P} so that it stays finite in the tails; an infinite edge contributes 0.
     */
    public static double discretizedLogLikelihoodGradLogScale(double x, double mean, double logScale) {
        double[] ab = binEdges(x, mean, logScale);
        double logP = StandardNormal.logProbability(ab[0], ab[1]);
        return edgeTerm(ab[0], logP) - edgeTerm(ab[1], logP);
    }

    /** z φ(z) / P, 0 at an infinite edge. */
    private static double edgeTerm(double z, double logP) {
        if (Double.isInfinite(z)) {
            return 0.0;
        }
        return z * Math.exp(-0.5 * z * z - HALF_LOG_TWO_PI - logP);
    }

    /** The standardized edges {(lower − mean)/σ, (upper − mean)/σ} of x's bin. */
    private static double[] binEdges(double x, double mean, double logScale) {
        int level = level(x);
        double centre = -1 + 2.0 * level / (LEVELS - 1);
        double invScale = Math.exp(-logScale);
        double lower = level == 0 ? Double.NEGATIVE_INFINITY : (centre - HALF_BIN - mean) * invScale;
        double upper = level == LEVELS - 1 ? Double.POSITIVE_INFINITY : (centre + HALF_BIN - mean) * invScale;
        return new double[] {lower, upper};
    }

    /** The nearest of the 256 levels, 0 .. 255, to x in [−1, 1]. */
    public static int level(double x) {
        long k = Math.round((x + 1) * 0.5 * (LEVELS - 1));
        return (int) Math.max(0, Math.min(LEVELS - 1, k));
    }
}
