package org.diffusion4j.diffusion;

/**
 * DDPM ancestral sampling (Ho et al. 2020, Algorithm 2): x_{t−1} is the posterior mean
 * μ̃(x_t, x̂_0) plus σ_t z, σ_t² = β_t or β̃_t as the diffusion's {@link VarianceType} says, and no
 * noise at the last step. With S &lt; T steps the chain is respaced (Improved DDPM §4): the kept
 * timesteps' ᾱ define new β, whose posterior the sampler follows, so a 50-step DDPM is a real
 * 50-step Markov chain rather than T steps with some skipped.
 */
public final class DdpmSampler extends Sampler {
    private final int steps;
    private final Spacing spacing;

    /**
     * @param steps S in [1, T]; T is the full chain
     * @param spacing which timesteps a respaced chain keeps (ignored when S = T)
     */
    public DdpmSampler(GaussianDiffusion diffusion, int steps, Spacing spacing, double guidance, boolean clipX0) {
        super(diffusion, guidance, clipX0, plan(chain(diffusion, steps, spacing), GaussianDiffusion::ancestralStep));
        this.steps = steps;
        this.spacing = spacing;
    }

    /** The full T-step chain, no guidance, x̂_0 clipped to [−1, 1]. */
    public static DdpmSampler of(GaussianDiffusion diffusion) {
        return new DdpmSampler(diffusion, diffusion.timesteps(), Spacing.LINSPACE, 0.0, true);
    }

    private static GaussianDiffusion chain(GaussianDiffusion d, int steps, Spacing spacing) {
        java.util.Objects.requireNonNull(spacing, "spacing");
        int t = d.timesteps();
        return steps == t ? d : d.respace(spacing.timesteps(t, steps));
    }

    public Spacing spacing() {
        return spacing;
    }

    /** {@link GuidanceForm#MEAN}: classifier guidance shifts each step's mean by s Σ ∇ log p(y | x_t). */
    @Override
    public GuidanceForm guidanceForm() {
        return GuidanceForm.MEAN;
    }

    @Override
    public String toString() {
        return "DdpmSampler[S=" + steps + (steps < diffusion().timesteps() ? " " + spacing.id() : "") + ", "
                + diffusion().variance().id() + ", guidance " + guidance() + "]";
    }
}
