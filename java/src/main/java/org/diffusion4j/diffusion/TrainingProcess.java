package org.diffusion4j.diffusion;

import java.util.Map;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;

/**
 * What a trainer needs of a noising process: how many noise indices it draws from (uniformly),
 * what the network is conditioned on at each, how a clean batch is noised, the regression target
 * and the loss, and the metadata a checkpoint records. {@link GaussianDiffusion} (DDPM's
 * variance-preserving chain) and {@link ScoreMatching} (NCSN's noise levels) are the two.
 */
public interface TrainingProcess {
    /** The number of noise indices; training draws t uniformly from [0, timesteps()). */
    int timesteps();

    /** The value the network's time embedding sees at index t. */
    int modelTimestep(int t);

    /**
     * Noises the clean batch x0 at indices t in one fused pass, writing the unit Gaussian noise
     * drawn into {@code eps}; the noise comes from (and advances) ctx's Philox stream.
     */
    void qSample(Context ctx, Tensor xT, Tensor eps, Tensor x0, int[] t);

    /** The model output's regression target for x0 and the noise that made x_t (may be eps or x0 itself). */
    Tensor trainingTarget(Context ctx, Tensor scratch, Tensor x0, Tensor eps, int[] t);

    /**
     * The loss of {@code modelOut} against the target, times {@code scale}, into {@code loss}
     * (shape (1)), its gradient into {@code dOut}; x0 and xT for losses that need them.
     */
    void trainingLoss(Context ctx, Tensor loss, Tensor dOut, Tensor modelOut, Tensor target, Tensor x0, Tensor xT, int[] t,
            double scale);

    /** The model output's shape for inputs of {@code shape}. */
    int[] outputShape(int[] shape);

    /** The process as checkpoint metadata. */
    Map<String, String> toMetadata();

    /**
     * Rebuilds the process a checkpoint's metadata records: a score model's noise levels when
     * it has {@code score.*} keys, else a Gaussian diffusion.
     *
     * @throws IllegalArgumentException naming the key that is missing or malformed
     */
    static TrainingProcess fromMetadata(Map<String, String> meta) {
        return ScoreMatching.inMetadata(meta) ? ScoreMatching.fromMetadata(meta) : GaussianDiffusion.fromMetadata(meta);
    }
}
