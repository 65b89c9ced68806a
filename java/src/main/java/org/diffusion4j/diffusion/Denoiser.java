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
}
