package org.diffusion4j.ops;

import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.Handles;
import org.diffusion4j.internal.Native;

/**
 * Classifier guidance's DDPM form (Dhariwal &amp; Nichol 2021, Algorithm 1): after a reverse step
 * the sample is shifted by s·Σ·g, g = ∇_x log p_φ(y | x_t), Σ the step's reverse variance,
 * elementwise:
 * <pre>
 *   x ← x + scale·Σ ⊙ grad,   Σ = exp(f·logVarMax + (1 − f)·logVarMin),   f = (r + 1)/2
 * </pre>
 * with r the model's raw variance output (Improved DDPM's learned range, not clamped: the σ_i² of
 * {@link SamplerStep} with σ = 1), or f = 0 without one (a fixed Σ = exp(logVarMin)). exp is the
 * library's own on both backends (the same bits), its argument kept in [−87, 88].
 */
public final class VarianceShift {
    private VarianceShift() {}

    /**
     * x ← x + scale·Σ ⊙ grad; x, grad and varOut (N, ...) alike, x neither grad nor varOut.
     *
     * @param varOut the model's raw variance output r, or null for Σ = exp(logVarMin)
     * @param scale the guidance scale s (finite)
     * @param logVarMax log β_t, finite (checked even without varOut)
     * @param logVarMin log β̃_t (clipped at t = 1), or the fixed log variance without varOut; finite
     */
    public static void apply(Context ctx, Tensor x, Tensor grad, Tensor varOut, float scale, float logVarMax,
            float logVarMin) {
        Objects.requireNonNull(ctx, "ctx");
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(grad, "grad");
        float[] v = {scale, logVarMax, logVarMin};
        String[] names = {"scale", "logVarMax", "logVarMin"};
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                throw new IllegalArgumentException(names[i] + " is " + v[i] + "; it must be finite");
            }
        }
        Native.check(D4jNative.d4j_variance_shift(Handles.ctx(ctx), Handles.tensor(x), Handles.tensor(grad),
                varOut == null ? null : Handles.tensor(varOut), scale, logVarMax, logVarMin), ctx, x, grad, varOut);
    }
}
