package org.diffusion4j.diffusion;

import java.util.Arrays;
import java.util.Objects;

/**
 * A variance schedule β_1..β_T and the cumulative products ᾱ_t = ∏_{s≤t} (1 − β_s), in float64
 * (DDPM, Ho et al. 2020; Improved DDPM, Nichol and Dhariwal 2021). Timestep indices are 0-based:
 * index {@code t} holds the paper's timestep {@code t + 1}. The schedule remembers how it was
 * made ({@link #kind()}), so a checkpoint can rebuild it exactly. Everything derived from it (the
 * posterior, the parameterisations, the losses) lives in {@link GaussianDiffusion}. Immutable and
 * thread-safe.
 */
public final class NoiseSchedule {
    /** How a schedule was made. */
    public enum Kind {
        /** β linear from {@link #betaStart()} to {@link #betaEnd()} (DDPM). */
        LINEAR,
        /** Improved DDPM's cosine ᾱ (eq. 17). */
        COSINE,
        /** Any other β array (user-given, or respaced). */
        CUSTOM
    }

    /** The longest schedule accepted (bounds what a checkpoint may ask to allocate). */
    public static final int MAX_TIMESTEPS = 100_000;

    private final Kind kind;
    private final double betaStart;
    private final double betaEnd;
    private final double[] betas;
    private final double[] alphaBar;

    private NoiseSchedule(Kind kind, double betaStart, double betaEnd, double[] betas, double[] alphaBar) {
        this.kind = kind;
        this.betaStart = betaStart;
        this.betaEnd = betaEnd;
        this.betas = betas;
        this.alphaBar = alphaBar;
    }

    private static NoiseSchedule of(Kind kind, double betaStart, double betaEnd, double[] betas) {
        double[] ab = new double[betas.length];
        double prod = 1.0;
        for (int t = 0; t < betas.length; t++) {
            prod *= 1.0 - betas[t];
            ab[t] = prod;
        }
        return new NoiseSchedule(kind, betaStart, betaEnd, betas, ab);
    }

    /**
     * DDPM's linear schedule: β from 1e-4 to 0.02 over 1000 steps; for other T the endpoints
     * scale by 1000/T, as in Improved DDPM, so the total noise stays comparable. That puts β_T at
     * 20/T, so T must exceed 20; for shorter schedules give the endpoints yourself.
     */
    public static NoiseSchedule linear(int timesteps) {
        requireTimesteps(timesteps);
        if (timesteps <= 20) {
            throw new IllegalArgumentException("linear(" + timesteps + ") would scale beta_T to 0.02*1000/"
                    + timesteps + " >= 1; use linear(timesteps, betaStart, betaEnd) for T <= 20");
        }
        double scale = 1000.0 / timesteps;
        return linear(timesteps, scale * 1e-4, scale * 0.02);
    }

    /** β linearly from {@code betaStart} to {@code betaEnd} (inclusive) over {@code timesteps} steps. */
    public static NoiseSchedule linear(int timesteps, double betaStart, double betaEnd) {
        requireTimesteps(timesteps);
        double[] b = new double[timesteps];
        for (int t = 0; t < timesteps; t++) {
            b[t] = timesteps == 1 ? betaStart : betaStart + (betaEnd - betaStart) * t / (timesteps - 1);
        }
        requireBetas(b);
        return of(Kind.LINEAR, betaStart, betaEnd, b);
    }

    /**
     * Improved DDPM's cosine schedule (eq. 17): ᾱ_t = f(t)/f(0), f(t) = cos²((t/T + s)/(1 + s) · π/2)
     * with s = 0.008, and β_t = 1 − ᾱ_t/ᾱ_{t−1} clipped to 0.999.
     */
    public static NoiseSchedule cosine(int timesteps) {
        requireTimesteps(timesteps);
        double[] b = new double[timesteps];
        for (int t = 0; t < timesteps; t++) {
            b[t] = Math.min(1.0 - cosineF(t + 1, timesteps) / cosineF(t, timesteps), 0.999);
        }
        return of(Kind.COSINE, Double.NaN, Double.NaN, b);
    }

    private static double cosineF(int t, int timesteps) {
        double s = 0.008;
        double c = Math.cos(((double) t / timesteps + s) / (1 + s) * Math.PI / 2);
        return c * c;
    }

    /** A user-given schedule: every β finite and in (0, 1). */
    public static NoiseSchedule ofBetas(double[] betas) {
        Objects.requireNonNull(betas, "betas");
        requireTimesteps(betas.length);
        double[] b = betas.clone();
        requireBetas(b);
        return of(Kind.CUSTOM, Double.NaN, Double.NaN, b);
    }

    /**
     * The schedule of the sub-chain that visits only {@code kept} (ascending, distinct timestep
     * indices of this schedule): β'_i = 1 − ᾱ_{k_i}/ᾱ_{k_{i−1}} with ᾱ_{k_{−1}} = 1, so that
     * ᾱ'_i = ᾱ_{k_i} exactly (Improved DDPM §4, "respacing"). A CUSTOM schedule.
     */
    public NoiseSchedule respaced(int[] kept) {
        Objects.requireNonNull(kept, "kept");
        if (kept.length == 0) {
            throw new IllegalArgumentException("respaced: no timesteps kept");
        }
        double[] b = new double[kept.length];
        double[] ab = new double[kept.length];
        double prev = 1.0;
        for (int i = 0; i < kept.length; i++) {
            int k = checkIndex(kept[i]);
            if (i > 0 && k <= kept[i - 1]) {
                throw new IllegalArgumentException("respaced: kept timesteps must ascend; kept[" + i + "] = " + k
                        + " follows " + kept[i - 1]);
            }
            ab[i] = alphaBar[k];
            b[i] = 1.0 - alphaBar[k] / prev;
            prev = alphaBar[k];
        }
        return new NoiseSchedule(Kind.CUSTOM, Double.NaN, Double.NaN, b, ab);
    }

    private static void requireTimesteps(int timesteps) {
        if (timesteps < 1 || timesteps > MAX_TIMESTEPS) {
            throw new IllegalArgumentException("timesteps is " + timesteps + "; it must be 1 to " + MAX_TIMESTEPS);
        }
    }

    private static void requireBetas(double[] b) {
        for (int t = 0; t < b.length; t++) {
            if (!(b[t] > 0.0 && b[t] < 1.0)) {
                throw new IllegalArgumentException("beta[" + t + "] is " + b[t] + "; every beta must be in (0, 1)");
            }
        }
    }

    public Kind kind() {
        return kind;
    }

    /** β_1 of a LINEAR schedule (NaN for the others). */
    public double betaStart() {
        return betaStart;
    }

    /** β_T of a LINEAR schedule (NaN for the others). */
    public double betaEnd() {
        return betaEnd;
    }

    /** T, the number of diffusion steps. */
    public int timesteps() {
        return betas.length;
    }

    public double beta(int t) {
        return betas[checkIndex(t)];
    }

    /** ᾱ_t = ∏_{s<=t} (1 − β_s). */
    public double alphaBar(int t) {
        return alphaBar[checkIndex(t)];
    }

    /** ᾱ_{t−1}, with ᾱ_{−1} = 1 before the first step. */
    public double alphaBarPrev(int t) {
        return checkIndex(t) == 0 ? 1.0 : alphaBar[t - 1];
    }

    public double[] betas() {
        return betas.clone();
    }

    int checkIndex(int t) {
        if (t < 0 || t >= betas.length) {
            throw new IllegalArgumentException("timestep " + t + " is outside [0, " + betas.length + ")");
        }
        return t;
    }

    /** Same kind, parameters and β to the last bit. */
    @Override
    public boolean equals(Object o) {
        return o instanceof NoiseSchedule s && s.kind == kind && Arrays.equals(s.betas, betas)
                && Double.compare(s.betaStart, betaStart) == 0 && Double.compare(s.betaEnd, betaEnd) == 0;
    }

    @Override
    public int hashCode() {
        return kind.hashCode() * 31 + Arrays.hashCode(betas);
    }

    @Override
    public String toString() {
        return switch (kind) {
            case LINEAR -> "linear(T=" + betas.length + ", beta " + betaStart + " .. " + betaEnd + ")";
            case COSINE -> "cosine(T=" + betas.length + ")";
            case CUSTOM -> "custom(T=" + betas.length + ", beta " + betas[0] + " .. " + betas[betas.length - 1] + ")";
        };
    }
}
