package org.diffusion4j.diffusion;

import org.diffusion4j.Tensor;

/** Called after every reverse step; returning false cancels the sampling. */
@FunctionalInterface
public interface StepCallback {
    /** Never cancels. */
    StepCallback NONE = (step, steps, t, x) -> true;

    /**
     * @param step steps done so far, 1 .. steps
     * @param steps the total number of steps
     * @param t the timestep index just left (the sample is now at t − 1, or x_0 after the last)
     * @param x the current sample (valid only during the call)
     * @return false to stop: the sampler then throws {@link java.util.concurrent.CancellationException}
     */
    boolean onStep(int step, int steps, int t, Tensor x);
}
