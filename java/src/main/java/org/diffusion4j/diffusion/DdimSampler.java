package org.diffusion4j.diffusion;

import java.util.Objects;

/**
 * DDIM (Song, Meng, Ermon 2021), the generalized non-Markovian sampler over a sub-sequence τ of
 * S timesteps (eq. 12):
 * x_{τ−1} = √ᾱ_prev x̂_0 + √(1 − ᾱ_prev − σ²) ε̂ + σ z, σ = η √((1−ᾱ_prev)/(1−ᾱ_τ)) √(1 − ᾱ_τ/ᾱ_prev),
 * where ᾱ_prev is ᾱ at the next visited timestep (1 after the last). η = 0 is deterministic DDIM,
 * η = 1 a DDPM-like sampler. (diffusers' DDIMScheduler visits the same timesteps but takes
 * ᾱ_prev at t − T//S, which differs when the spacing is not a whole stride.)
 */
public final class DdimSampler extends Sampler {
    private final double eta;
    private final Spacing spacing;

    public DdimSampler(GaussianDiffusion diffusion, int steps, double eta, Spacing spacing, double guidance, boolean clipX0) {
        super(diffusion, guidance, clipX0, plan(chain(diffusion, steps, spacing), (c, i) -> c.ddimStep(i, requireEta(eta))));
        this.eta = eta;
        this.spacing = spacing;
    }

    /** Deterministic DDIM (η = 0) with trailing spacing, no guidance, x̂_0 clipped. */
    public static DdimSampler of(GaussianDiffusion diffusion, int steps) {
        return new DdimSampler(diffusion, steps, 0.0, Spacing.TRAILING, 0.0, true);
    }

    private static GaussianDiffusion chain(GaussianDiffusion d, int steps, Spacing spacing) {
        Objects.requireNonNull(d, "diffusion");
        Objects.requireNonNull(spacing, "spacing");
        return d.respace(spacing.timesteps(d.timesteps(), steps));
    }

    private static double requireEta(double eta) {
        if (!(eta >= 0) || Double.isInfinite(eta)) {
            throw new IllegalArgumentException("eta is " + eta + "; it must be finite and >= 0");
        }
        return eta;
    }

    public double eta() {
        return eta;
    }

    public Spacing spacing() {
        return spacing;
    }

    /** {@link GuidanceForm#SCORE}: classifier guidance shifts the noise estimate by −s √(1 − ᾱ) ∇ log p(y | x_t). */
    @Override
    public GuidanceForm guidanceForm() {
        return GuidanceForm.SCORE;
    }

    @Override
    public String toString() {
        return "DdimSampler[S=" + steps() + ", eta=" + eta + ", " + spacing.id() + ", guidance " + guidance() + "]";
    }
}
