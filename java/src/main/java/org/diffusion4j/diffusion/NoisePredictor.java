package org.diffusion4j.diffusion;

import org.diffusion4j.Context;
import org.diffusion4j.Tensor;

/**
 * Anything that predicts the noise ε_θ(x_t, t, y) a sampler needs: a trained U-Net, or a
 * function of the user's (the tests use the exact predictor for Gaussian data).
 */
@FunctionalInterface
public interface NoisePredictor {
    /**
     * Writes ε_θ(x_t, t, y) into {@code eps}.
     *
     * @param eps output, the shape of {@code xT}
     * @param xT the current sample x_t, shape (N, ...)
     * @param t the timestep index of each sample, in [0, T)
     * @param labels the class of each sample, or null for the unconditional prediction (the
     *     null class of classifier-free guidance)
     */
    void predict(Context ctx, Tensor eps, Tensor xT, int[] t, int[] labels);
}
