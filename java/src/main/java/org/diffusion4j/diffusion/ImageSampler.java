package org.diffusion4j.diffusion;

import java.util.concurrent.CancellationException;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;

/**
 * A way of drawing images from a trained network: the DDPM and DDIM plans ({@link Sampler}),
 * annealed Langevin dynamics over a score network's levels ({@link AnnealedLangevin}) and
 * predictor–corrector sampling of a DDPM ({@link PredictorCorrector}). Implementations are
 * immutable and thread-safe; noise is keyed per sample by {@link SampleNoise}.
 */
public interface ImageSampler {
    /**
     * Draws samples of {@code shape}; labels (one per sample, or null) condition the model.
     *
     * @return the samples on ctx's device; the caller closes them
     * @throws CancellationException when the callback returns false
     */
    Tensor sample(Context ctx, Denoiser model, int[] shape, int[] labels, SampleNoise noise, StepCallback callback);

    /** Network evaluations per image without classifier-free guidance (guidance doubles them). */
    int networkEvaluations();

    /** The classifier-free guidance weight w; 0 is none. */
    double guidance();
}
