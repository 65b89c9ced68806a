package org.diffusion4j.diffusion;

/**
 * One reverse step of a sampling plan, in float64, for a model output o at x_t:
 * <pre>
 *   x̂_0 = x0FromXt · x_t + x0FromOut · o            (optionally clipped to [−1, 1])
 *   ε̂   = epsFromXt · x_t + epsFromOut · o           (or (x_t − √ᾱ x̂_0)/√(1−ᾱ) when clipped)
 *   x_prev = coefX0 · x̂_0 + coefXt · x_t + coefEps · ε̂ + sigma · z
 * </pre>
 * DDPM's ancestral step is the posterior mean (coefEps = 0); DDIM's has coefXt = 0. With a
 * {@code learnedVariance} step the noise of element e is sigma · exp(½ log Σ_θ,e), log Σ_θ =
 * f logVarMax + (1 − f) logVarMin, f = (r_e + 1)/2 from the model's raw variance output r
 * (Improved DDPM eq. 15): sigma is then 1 on noisy steps and 0 on the last. A fixed-variance
 * DDPM step has logVarMax = logVarMin = log Σ, the reverse variance (β̃ at index 1 on the last
 * step) that classifier guidance scales its mean shift by; DDIM steps leave both 0.
 *
 * @param timestep the model's timestep index at this step (the original T-step index)
 * @param alphaBar ᾱ at this step
 * @param alphaBarPrev ᾱ of the step it lands on (1 after the last)
 */
public record StepCoefficients(int timestep, double alphaBar, double alphaBarPrev, double x0FromXt, double x0FromOut,
        double epsFromXt, double epsFromOut, double coefX0, double coefXt, double coefEps, double sigma,
        boolean learnedVariance, double logVarMax, double logVarMin) {

    /** A step with a fixed σ. */
    public StepCoefficients(int timestep, double alphaBar, double alphaBarPrev, double x0FromXt, double x0FromOut,
            double epsFromXt, double epsFromOut, double coefX0, double coefXt, double coefEps, double sigma) {
        this(timestep, alphaBar, alphaBarPrev, x0FromXt, x0FromOut, epsFromXt, epsFromOut, coefX0, coefXt, coefEps, sigma,
                false, 0.0, 0.0);
    }

    /** √ᾱ, for the ε a clipped x̂_0 implies. */
    public double sqrtAlphaBar() {
        return Math.sqrt(alphaBar);
    }

    /** 1/√(1 − ᾱ), for the ε a clipped x̂_0 implies. */
    public double recipSqrtOneMinusAlphaBar() {
        return 1.0 / Math.sqrt(1.0 - alphaBar);
    }
}
