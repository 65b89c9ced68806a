package org.diffusion4j.diffusion;

import org.diffusion4j.Context;
import org.diffusion4j.Tensor;

/**
 * What classifier guidance needs of a classifier: ∇_{x_t} log p(y | x_t, t) per sample, for a
 * whole batch. {@link org.diffusion4j.nn.NoisyClassifier#inputGradient} is one; the tests use the
 * exact p(y | x_t) of Gaussian class-conditional data.
 */
@FunctionalInterface
public interface ClassifierGradient {
    /**
     * Writes ∇_x log p(labels[n] | x_n, t[n]) of each sample n into {@code grad} (x's shape).
     *
     * @param t the model's timestep index of each sample, in [0, T)
     * @param labels the class each sample is steered towards
     */
    void gradient(Context ctx, Tensor grad, Tensor xT, int[] t, int[] labels);
}
