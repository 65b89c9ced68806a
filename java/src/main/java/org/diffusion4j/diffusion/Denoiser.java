package org.diffusion4j.diffusion;

import org.diffusion4j.Context;
import org.diffusion4j.Tensor;

/**
 * Anything that maps (x_t, t, y) to the model output a sampler needs, in its diffusion's
 * {@link ModelOutput} parameterisation (ε, x_0 or v): a trained U-Net, or a function of the
 * user's (the tests use the exact predictor for Gaussian data). An implementation shared by
 * several threads must keep its per-call state in the call or in {@code ctx}.
 */
@FunctionalInterface
public interface Denoiser {
    /**
     * Writes the model output for x_t into {@code out}.
     *
     * @param ctx the caller's context: the prediction runs on it
     * @param out output, the shape of {@code xT}; for a learned-variance diffusion twice its
     *     channels, the mean output then the raw variance (see {@link Sampler#outputShape})
     * @param xT the current sample x_t, shape (N, ...)
     * @param t the model's timestep index of each sample, in [0, T)
     * @param labels the class of each sample, or null for the unconditional prediction (the
     *     null class of classifier-free guidance)
     */
    void predict(Context ctx, Tensor out, Tensor xT, int[] t, int[] labels);

    /**
     * The two predictions a classifier-free-guided step combines: the conditional output for
     * {@code labels} into {@code outCond} and the unconditional one (labels null) into
     * {@code outUncond}. This default makes the two {@link #predict} calls (each with its own
     * copy of t and labels); a network that can evaluate both as one batch of 2N overrides it
     * (the U-Net does), with the same results per sample.
     *
     * @param outCond output for (x_t, t, labels), shaped as {@code out} of {@link #predict}
     * @param outUncond output for (x_t, t, null), the same shape
     * @param labels the class of each sample (not null: an unguided step has no second output)
     */
    default void predictGuided(Context ctx, Tensor outCond, Tensor outUncond, Tensor xT, int[] t, int[] labels) {
        if (labels == null) {
            throw new IllegalArgumentException("predictGuided needs the labels of the conditional prediction; it got null");
        }
        predict(ctx, outCond, xT, t.clone(), labels.clone());
        predict(ctx, outUncond, xT, t.clone(), null);
    }
}
