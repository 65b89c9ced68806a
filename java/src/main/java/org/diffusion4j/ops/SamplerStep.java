package org.diffusion4j.ops;

import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.D4jNative.d4j_step_coefficients;
import org.diffusion4j.internal.Handles;
import org.diffusion4j.internal.Native;

/**
 * One fused reverse-process step, elementwise, for any parameterisation of the model output o:
 * <pre>
 *   o       = (w + 1)·out − w·outUncond         (classifier-free guidance; out when outUncond is null)
 *   x̂_0     = x0FromXt·x_t + x0FromOut·o
 *   ε̂       = epsFromXt·x_t + epsFromOut·o      ((0, 1) returns o exactly)
 *   clipX0:  x̂_0 = clip(x̂_0, −1, 1), ε̂ = (x_t − √ᾱ x̂_0)/√(1 − ᾱ)
 *   x_{t−1} = coefX0·x̂_0 + coefXt·x_t + coefEps·ε̂ + σ_i·z
 * </pre>
 * σ_i = σ without a variance output. With the model's raw variance output r (varOut), σ is a
 * scale on Improved DDPM's learned range (Nichol &amp; Dhariwal 2021 eq. 15, improved-diffusion's
 * LEARNED_RANGE): σ_i = σ·exp(½ (f·logVarMax + (1 − f)·logVarMin)) with f = (r_i + 1)/2, not
 * clamped; logVarMax = log β_t, logVarMin = log β̃_t (clipped at t = 1), σ = 1 on a noisy step and
 * 0 on the last. z is {@link KeyedNoise}'s noise with (noiseKey, noiseStream, ids[n]) for sample
 * n, so a sample does not change with its batch or the device; it is drawn only when σ &gt; 0.
 * The context's random stream is neither used nor advanced.
 */
public final class SamplerStep {
    private SamplerStep() {}

    /**
     * The step's coefficients, computed by the caller (in double precision, rounded once). With
     * a = √ᾱ_t and s = √(1 − ᾱ_t): ε-prediction (1/a, −s/a, 0, 1), x_0-prediction (0, 1, 1/s,
     * −a/s), v-prediction (a, −s, s, a) for (x0FromXt, x0FromOut, epsFromXt, epsFromOut).
     * logVarMax and logVarMin (log β_t and log β̃_t) are read only with a variance output; every
     * value finite (those two too), σ ≥ 0.
     */
    public record Coefficients(float x0FromXt, float x0FromOut, float epsFromXt, float epsFromOut, float sqrtAlphaBar,
            float recipSqrtOneMinusAlphaBar, float coefX0, float coefXt, float coefEps, float sigma, float logVarMax,
            float logVarMin, float guidance, boolean clipX0) {
        public Coefficients {
            float[] v = {x0FromXt, x0FromOut, epsFromXt, epsFromOut, sqrtAlphaBar, recipSqrtOneMinusAlphaBar, coefX0,
                coefXt, coefEps, sigma, logVarMax, logVarMin, guidance};
            String[] names = {"x0FromXt", "x0FromOut", "epsFromXt", "epsFromOut", "sqrtAlphaBar",
                "recipSqrtOneMinusAlphaBar", "coefX0", "coefXt", "coefEps", "sigma", "logVarMax", "logVarMin",
                "guidance"};
            for (int i = 0; i < v.length; i++) {
                if (!Float.isFinite(v[i])) {
                    throw new IllegalArgumentException(names[i] + " is " + v[i] + "; it must be finite");
                }
            }
            if (sigma < 0) {
                throw new IllegalArgumentException("sigma is " + sigma + "; it must be >= 0");
            }
        }
    }

    /**
     * xPrev ← one step from xT given the model output(s); all (N, ...) alike, xPrev may be xT
     * but not out, outUncond or varOut.
     *
     * @param outUncond the unconditional output for guidance, or null
     * @param varOut the model's raw variance output r for a learned variance (σ_i above), or null
     *     for σ_i = σ; not read when σ = 0
     * @param ids one id per sample ({@code ids.length == xT.dim(0)}); may be null only when σ = 0
     */
    public static void apply(Context ctx, Tensor xPrev, Tensor xT, Tensor out, Tensor outUncond, Tensor varOut,
            Coefficients c, long noiseKey, int noiseStream, long[] ids) {
        Objects.requireNonNull(ctx, "ctx");
        Objects.requireNonNull(xPrev, "xPrev");
        Objects.requireNonNull(xT, "xT");
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(c, "c");
        if (ids == null && c.sigma() > 0) {
            throw new IllegalArgumentException("ids is null but sigma is " + c.sigma()
                    + "; noise needs one id per sample (" + xT.dim(0) + ")");
        }
        if (ids != null) {
            checkIds(ids, xT, "xT");
        }
        try (d4j_step_coefficients k = new d4j_step_coefficients()) {
            k.x0_from_xt(c.x0FromXt()).x0_from_out(c.x0FromOut()).eps_from_xt(c.epsFromXt())
                    .eps_from_out(c.epsFromOut()).sqrt_alpha_bar(c.sqrtAlphaBar())
                    .recip_sqrt_one_minus_alpha_bar(c.recipSqrtOneMinusAlphaBar()).coef_x0(c.coefX0())
                    .coef_xt(c.coefXt()).coef_eps(c.coefEps()).sigma(c.sigma()).log_var_max(c.logVarMax())
                    .log_var_min(c.logVarMin()).guidance(c.guidance()).clip_x0(c.clipX0() ? 1 : 0);
            Native.check(D4jNative.d4j_sampler_step(Handles.ctx(ctx), Handles.tensor(xPrev), Handles.tensor(xT),
                    Handles.tensor(out), outUncond == null ? null : Handles.tensor(outUncond),
                    varOut == null ? null : Handles.tensor(varOut), k, noiseKey, noiseStream, ids), ctx, xPrev, xT,
                    out, outUncond, varOut);
        }
    }

    /** One id per sample of t (its dimension 0). */
    static void checkIds(long[] ids, Tensor t, String name) {
        if (ids.length != t.dim(0)) {
            throw new IllegalArgumentException("ids has " + ids.length + " entries but " + name + " has " + t.dim(0)
                    + " samples (dimension 0)");
        }
    }
}
