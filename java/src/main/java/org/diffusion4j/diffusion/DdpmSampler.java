package org.diffusion4j.diffusion;

/**
 * DDPM ancestral sampling (Ho et al. 2020, Algorithm 2), T steps: x_{t−1} is the posterior mean
 * μ̃(x_t, x̂_0) plus σ_t z with σ_t² = β_t or β̃_t, and no noise at the last step.
 */
public final class DdpmSampler extends Sampler {
    /** The reverse variance σ_t². */
    public enum Variance {
        /** σ_t² = β_t: optimal for x_0 ~ N(0, I). */
        BETA,
        /** σ_t² = β̃_t, the posterior variance: optimal for a deterministic x_0. */
        BETA_TILDE
    }

    private final Variance variance;

    public DdpmSampler(NoiseSchedule schedule, Variance variance, double guidance, boolean clipX0) {
        super(schedule, guidance, clipX0);
        this.variance = java.util.Objects.requireNonNull(variance, "variance");
    }

    /** β̃ variance, no guidance, x̂_0 clipped to [−1, 1]. */
    public static DdpmSampler of(NoiseSchedule schedule) {
        return new DdpmSampler(schedule, Variance.BETA_TILDE, 0.0, true);
    }

    @Override
    public int[] timesteps() {
        int n = schedule().timesteps();
        int[] ts = new int[n];
        for (int i = 0; i < n; i++) {
            ts[i] = n - 1 - i;
        }
        return ts;
    }

    @Override
    Coefficients coefficients(int i) {
        NoiseSchedule s = schedule();
        int t = s.timesteps() - 1 - i;
        double var = t == 0 ? 0.0 : variance == Variance.BETA ? s.beta(t) : s.posteriorVariance(t);
        return new Coefficients(t, s.posteriorMeanCoefX0(t), s.posteriorMeanCoefXt(t), 0.0, Math.sqrt(var));
    }

    @Override
    public String toString() {
        return "DdpmSampler[" + schedule() + ", " + variance + ", guidance " + guidance() + "]";
    }
}
