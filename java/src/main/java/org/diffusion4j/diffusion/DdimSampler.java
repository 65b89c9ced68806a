package org.diffusion4j.diffusion;

import java.util.Objects;

/**
 * DDIM (Song, Meng, Ermon 2021), the generalized non-Markovian sampler over a sub-sequence τ of
 * S timesteps (eq. 12):
 * x_{τ−1} = √ᾱ_prev x̂_0 + √(1 − ᾱ_prev − σ²) ε̃ + σ z, σ = η √((1−ᾱ_prev)/(1−ᾱ_τ)) √(1 − ᾱ_τ/ᾱ_prev).
 * η = 0 is deterministic DDIM, η = 1 a DDPM-like sampler.
 */
public final class DdimSampler extends Sampler {
    /** How the S timesteps are spread over [0, T) (the choices of diffusers' schedulers). */
    public enum Spacing {
        /** round(linspace(0, T − 1, S)): both ends included. */
        LINSPACE,
        /** 0, T/S, 2T/S, …: the DDIM paper's uniform τ, starting at 0 ("leading"). */
        LEADING,
        /** T − 1, T − 1 − T/S, …: ending at T − 1 ("trailing", which starts from pure noise). */
        TRAILING
    }

    private final int steps;
    private final double eta;
    private final Spacing spacing;
    private final int[] tau; // descending

    public DdimSampler(NoiseSchedule schedule, int steps, double eta, Spacing spacing, double guidance, boolean clipX0) {
        super(schedule, guidance, clipX0);
        int t = schedule.timesteps();
        if (steps < 1 || steps > t) {
            throw new IllegalArgumentException("steps is " + steps + "; it must be 1 to T = " + t);
        }
        if (!(eta >= 0) || Double.isInfinite(eta)) {
            throw new IllegalArgumentException("eta is " + eta + "; it must be finite and >= 0");
        }
        this.steps = steps;
        this.eta = eta;
        this.spacing = Objects.requireNonNull(spacing, "spacing");
        int[] asc = new int[steps];
        for (int i = 0; i < steps; i++) {
            asc[i] = switch (spacing) {
                case LINSPACE -> steps == 1 ? t - 1 : (int) Math.round((double) i * (t - 1) / (steps - 1));
                case LEADING -> i * (t / steps);
                case TRAILING -> (int) Math.round(t - (double) (steps - 1 - i) * t / steps) - 1;
            };
        }
        for (int i = 1; i < steps; i++) {
            if (asc[i] <= asc[i - 1]) {
                throw new IllegalArgumentException(spacing + " spacing of " + steps + " steps over T = " + t
                        + " repeats timestep " + asc[i]);
            }
        }
        this.tau = new int[steps];
        for (int i = 0; i < steps; i++) {
            tau[i] = asc[steps - 1 - i];
        }
    }

    /** Deterministic DDIM (η = 0) with trailing spacing, no guidance, x̂_0 clipped. */
    public static DdimSampler of(NoiseSchedule schedule, int steps) {
        return new DdimSampler(schedule, steps, 0.0, Spacing.TRAILING, 0.0, true);
    }

    public int steps() {
        return steps;
    }

    public double eta() {
        return eta;
    }

    public Spacing spacing() {
        return spacing;
    }

    @Override
    public int[] timesteps() {
        return tau.clone();
    }

    @Override
    Coefficients coefficients(int i) {
        NoiseSchedule s = schedule();
        int t = tau[i];
        double ab = s.alphaBar(t);
        double abPrev = i + 1 < tau.length ? s.alphaBar(tau[i + 1]) : 1.0;
        double sigma = eta * Math.sqrt((1 - abPrev) / (1 - ab)) * Math.sqrt(1 - ab / abPrev);
        double dir = Math.sqrt(Math.max(0.0, 1 - abPrev - sigma * sigma)); // direction pointing to x_t
        return new Coefficients(t, Math.sqrt(abPrev), 0.0, dir, sigma);
    }

    @Override
    public String toString() {
        return "DdimSampler[" + schedule() + ", S=" + steps + ", eta=" + eta + ", " + spacing + ", guidance "
                + guidance() + "]";
    }
}
