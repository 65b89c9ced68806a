package org.diffusion4j.train;

/**
 * Training hyper-parameters: batch size, AdamW (lr with linear warm-up, weight decay),
 * global-norm clipping, EMA decay, the probability of dropping a label to the null class
 * (classifier-free guidance training, Ho &amp; Salimans 2022) and the seed every random choice
 * derives from.
 */
public record TrainConfig(int batchSize, float lr, int warmupSteps, float weightDecay, float gradClip, float emaDecay,
        float labelDropout, long seed) {

    public TrainConfig {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize is " + batchSize + "; it must be >= 1");
        }
        if (!(lr > 0) || warmupSteps < 0 || !(weightDecay >= 0) || !(gradClip > 0)) {
            throw new IllegalArgumentException("bad optimizer settings: lr " + lr + ", warm-up " + warmupSteps
                    + ", weight decay " + weightDecay + ", clip " + gradClip);
        }
        if (!(emaDecay >= 0 && emaDecay <= 1)) {
            throw new IllegalArgumentException("emaDecay is " + emaDecay + "; it must be in [0, 1]");
        }
        if (!(labelDropout >= 0 && labelDropout <= 1)) {
            throw new IllegalArgumentException("labelDropout is " + labelDropout + "; it must be in [0, 1]");
        }
    }

    /** Long runs: batch 128, lr 2e-4, 1000 warm-up steps, EMA 0.9999, 10% null labels. */
    public static TrainConfig defaults() {
        return new TrainConfig(128, 2e-4f, 1000, 0f, 1f, 0.9999f, 0.1f, 0L);
    }
}
