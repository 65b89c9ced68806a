package org.diffusion4j.diffusion;

import java.util.Objects;

/**
 * Classifier guidance (Dhariwal &amp; Nichol 2021 §4): a classifier's gradient
 * ∇_{x_t} log p_φ(y | x_t) steers a diffusion model, conditional or not, towards the classes
 * {@code labels} with strength {@code scale}. A DDPM (ancestral) sampler shifts each step's
 * mean (the paper's Algorithm 1), a DDIM sampler its noise estimate (Algorithm 2): see
 * {@link Sampler#step(org.diffusion4j.Context, int, org.diffusion4j.Tensor, org.diffusion4j.Tensor,
 * org.diffusion4j.Tensor, org.diffusion4j.Tensor, SampleNoise, org.diffusion4j.Tensor, double)}.
 * Scale 0 is unguided; scale 1 turns the exact unconditional model and the exact classifier into
 * the exact class-conditional model.
 *
 * @param classifier the gradient's source, evaluated at the model's timesteps
 * @param scale s, finite and >= 0
 * @param labels the class of each sample (one per sample)
 */
public record ClassifierGuidance(ClassifierGradient classifier, double scale, int[] labels) {
    public ClassifierGuidance {
        Objects.requireNonNull(classifier, "classifier");
        Objects.requireNonNull(labels, "labels");
        if (!(scale >= 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException("classifier scale is " + scale + "; it must be finite and >= 0");
        }
        labels = labels.clone();
    }

    @Override
    public int[] labels() {
        return labels.clone();
    }
}
