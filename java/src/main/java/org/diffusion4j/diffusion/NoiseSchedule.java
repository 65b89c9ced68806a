package org.diffusion4j.diffusion;

import java.util.Arrays;
import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.Handles;
import org.diffusion4j.internal.Native;

/**
 * A variance schedule β_1..β_T and the forward-process coefficients derived from it, computed
 * once in float64 (DDPM, Ho et al. 2020; Improved DDPM, Nichol and Dhariwal 2021). Timestep
 * indices are 0-based: index {@code t} holds the paper's timestep {@code t + 1}. Immutable and
 * thread-safe.
 */
public final class NoiseSchedule {
    private final double[] betas;
    private final double[] alphaBar;
    // float32 tables handed to the native q_sample
    private final float[] sqrtAlphaBar;
    private final float[] sqrtOneMinusAlphaBar;

    private NoiseSchedule(double[] betas) {
        this.betas = betas;
        int n = betas.length;
        this.alphaBar = new double[n];
        this.sqrtAlphaBar = new float[n];
        this.sqrtOneMinusAlphaBar = new float[n];
        double prod = 1.0;
        for (int t = 0; t < n; t++) {
            prod *= 1.0 - betas[t]; // ᾱ_t = ∏_{s<=t} α_s
            alphaBar[t] = prod;
            sqrtAlphaBar[t] = (float) Math.sqrt(prod);
            sqrtOneMinusAlphaBar[t] = (float) Math.sqrt(1.0 - prod);
        }
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
        return ofBetas(b);
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
        return ofBetas(b);
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
        for (int t = 0; t < betas.length; t++) {
            double b = betas[t];
            if (!(b > 0.0 && b < 1.0)) {
                throw new IllegalArgumentException("beta[" + t + "] is " + b + "; every beta must be in (0, 1)");
            }
        }
        return new NoiseSchedule(betas.clone());
    }

    private static void requireTimesteps(int timesteps) {
        if (timesteps < 1) {
            throw new IllegalArgumentException("timesteps is " + timesteps + "; it must be >= 1");
        }
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

    // calculations for the posterior q(x_{t−1} | x_t, x_0) = N(c0 x_0 + c1 x_t, β̃_t I) (DDPM eqs. 6–7)

    /** β̃_t = β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t), the posterior variance. */
    public double posteriorVariance(int t) {
        return betas[checkIndex(t)] * (1.0 - alphaBarPrev(t)) / (1.0 - alphaBar[t]);
    }

    /** The posterior mean's coefficient of x_0: β_t √ᾱ_{t−1} / (1 − ᾱ_t). */
    public double posteriorMeanCoefX0(int t) {
        return betas[checkIndex(t)] * Math.sqrt(alphaBarPrev(t)) / (1.0 - alphaBar[t]);
    }

    /** The posterior mean's coefficient of x_t: (1 − ᾱ_{t−1}) √α_t / (1 − ᾱ_t). */
    public double posteriorMeanCoefXt(int t) {
        return (1.0 - alphaBarPrev(checkIndex(t))) * Math.sqrt(1.0 - betas[t]) / (1.0 - alphaBar[t]);
    }

    /**
     * log β̃_t with the t = 0 entry (where β̃ is 0) replaced by β̃ at t = 1, as Improved DDPM
     * clips it for the learned-variance interpolation.
     */
    public double posteriorLogVarianceClipped(int t) {
        checkIndex(t);
        return Math.log(t == 0 && betas.length > 1 ? posteriorVariance(1) : posteriorVariance(t));
    }

    public double[] betas() {
        return betas.clone();
    }

    private int checkIndex(int t) {
        if (t < 0 || t >= betas.length) {
            throw new IllegalArgumentException("timestep " + t + " is outside [0, " + betas.length + ")");
        }
        return t;
    }

    /**
     * Draws x_t ~ q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I) for each sample in one fused native
     * pass (DDPM eq. 4), writing the noise drawn into {@code eps} (the ε-prediction target).
     * The noise comes from {@code ctx}'s Philox stream, which advances.
     *
     * @param xT output, same shape as {@code x0}
     * @param eps output, same shape as {@code x0}
     * @param x0 clean data, shape (N, ...)
     * @param t one timestep index in [0, T) per sample
     */
    public void qSample(Context ctx, Tensor xT, Tensor eps, Tensor x0, int[] t) {
        Objects.requireNonNull(ctx, "ctx");
        Objects.requireNonNull(xT, "xT");
        Objects.requireNonNull(eps, "eps");
        Objects.requireNonNull(x0, "x0");
        Objects.requireNonNull(t, "t");
        if (t.length != x0.dim(0)) {
            throw new IllegalArgumentException("t has " + t.length + " timesteps but x0 " + Arrays.toString(x0.shape())
                    + " has " + x0.dim(0) + " samples");
        }
        for (int i = 0; i < t.length; i++) {
            if (t[i] < 0 || t[i] >= betas.length) {
                throw new IllegalArgumentException("t[" + i + "] is " + t[i] + "; timesteps must be in [0, "
                        + betas.length + ")");
            }
        }
        Native.check(D4jNative.d4j_q_sample(Handles.ctx(ctx), Handles.tensor(xT), Handles.tensor(eps),
                Handles.tensor(x0), t, sqrtAlphaBar, sqrtOneMinusAlphaBar, t.length, betas.length), ctx, xT, eps, x0);
    }

    @Override
    public String toString() {
        return "NoiseSchedule[T=" + betas.length + ", beta " + betas[0] + " .. " + betas[betas.length - 1] + "]";
    }
}
