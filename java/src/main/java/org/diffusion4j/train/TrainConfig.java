package org.diffusion4j.train;

import org.diffusion4j.Precision;

/**
 * Training hyper-parameters: the batch size and gradient accumulation (micro-batches per
 * optimizer step), AdamW (lr with linear warm-up and an optional cosine decay, weight decay),
 * global-norm clipping, EMA decay, the probability of dropping a label to the null class
 * (classifier-free guidance training, Ho &amp; Salimans 2022) and the seed every random stream
 * derives from ({@link org.diffusion4j.Seeds}).
 *
 * @param batchSize images per micro-batch
 * @param decay learning-rate decay after warm-up
 * @param decaySteps the step at which a cosine decay reaches 0 (ignored for CONSTANT)
 * @param accumulation micro-batches whose gradients are averaged into one optimizer step
 * @param precision the arithmetic of the convolutions and linear layers ({@link #withPrecision}); the
 *     weights, optimizer state, EMA and reductions stay float32 in both
 */
public record TrainConfig(int batchSize, float lr, int warmupSteps, float weightDecay, float gradClip, float emaDecay,
        float labelDropout, long seed, LrDecay decay, long decaySteps, int accumulation, Precision precision) {

    /** The learning rate after warm-up. */
    public enum LrDecay {
        CONSTANT,
        /** lr · ½(1 + cos(π · min(step, decaySteps)/decaySteps)) (Loshchilov and Hutter, SGDR). */
        COSINE
    }

    public TrainConfig {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize is " + batchSize + "; it must be >= 1");
        }
        if (!(lr > 0) || Float.isInfinite(lr)) {
            throw new IllegalArgumentException("lr is " + lr + "; it must be finite and > 0");
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("warmupSteps is " + warmupSteps + "; it must be >= 0");
        }
        if (!(weightDecay >= 0) || Float.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weightDecay is " + weightDecay + "; it must be finite and >= 0");
        }
        if (!(gradClip > 0)) {
            throw new IllegalArgumentException("gradClip is " + gradClip + "; it must be > 0");
        }
        if (!(emaDecay >= 0 && emaDecay <= 1)) {
            throw new IllegalArgumentException("emaDecay is " + emaDecay + "; it must be in [0, 1]");
        }
        if (!(labelDropout >= 0 && labelDropout <= 1)) {
            throw new IllegalArgumentException("labelDropout is " + labelDropout + "; it must be in [0, 1]");
        }
        java.util.Objects.requireNonNull(decay, "decay");
        if (decay == LrDecay.COSINE && decaySteps < 1) {
            throw new IllegalArgumentException("decaySteps is " + decaySteps + "; a cosine decay needs >= 1");
        }
        if (accumulation < 1) {
            throw new IllegalArgumentException("accumulation is " + accumulation + "; it must be >= 1");
        }
        java.util.Objects.requireNonNull(precision, "precision");
    }

    /** Constant learning rate after warm-up, no accumulation. */
    public TrainConfig(int batchSize, float lr, int warmupSteps, float weightDecay, float gradClip, float emaDecay,
            float labelDropout, long seed) {
        this(batchSize, lr, warmupSteps, weightDecay, gradClip, emaDecay, labelDropout, seed, LrDecay.CONSTANT, 0, 1,
                Precision.FP32);
    }

    /** Long runs: batch 128, lr 2e-4, 1000 warm-up steps, EMA 0.9999, 10% null labels. */
    public static TrainConfig defaults() {
        return new TrainConfig(128, 2e-4f, 1000, 0f, 1f, 0.9999f, 0.1f, 0L);
    }

    /** The short-run setting of {@code d4j train}: batch 32, lr 1e-3, 100 warm-up steps, EMA 0.995. */
    public static TrainConfig shortRun() {
        return new TrainConfig(32, 1e-3f, 100, 0f, 1f, 0.995f, 0.1f, 0L);
    }

    public TrainConfig withSeed(long s) {
        return new TrainConfig(batchSize, lr, warmupSteps, weightDecay, gradClip, emaDecay, labelDropout, s, decay,
                decaySteps, accumulation, precision);
    }

    public TrainConfig withBatchSize(int b) {
        return new TrainConfig(b, lr, warmupSteps, weightDecay, gradClip, emaDecay, labelDropout, seed, decay, decaySteps,
                accumulation, precision);
    }

    public TrainConfig withLr(float l, int warmup) {
        return new TrainConfig(batchSize, l, warmup, weightDecay, gradClip, emaDecay, labelDropout, seed, decay,
                decaySteps, accumulation, precision);
    }

    public TrainConfig withEmaDecay(float e) {
        return new TrainConfig(batchSize, lr, warmupSteps, weightDecay, gradClip, e, labelDropout, seed, decay, decaySteps,
                accumulation, precision);
    }

    public TrainConfig withLabelDropout(float p) {
        return new TrainConfig(batchSize, lr, warmupSteps, weightDecay, gradClip, emaDecay, p, seed, decay, decaySteps,
                accumulation, precision);
    }

    /** A cosine decay reaching 0 at {@code steps}. */
    public TrainConfig withCosineDecay(long steps) {
        return new TrainConfig(batchSize, lr, warmupSteps, weightDecay, gradClip, emaDecay, labelDropout, seed,
                LrDecay.COSINE, steps, accumulation, precision);
    }

    public TrainConfig withAccumulation(int microBatches) {
        return new TrainConfig(batchSize, lr, warmupSteps, weightDecay, gradClip, emaDecay, labelDropout, seed, decay,
                decaySteps, microBatches, precision);
    }

    /**
     * The arithmetic of the network's convolutions and linear layers while training; the
     * {@link org.diffusion4j.train.Trainer} sets it on its context ({@link org.diffusion4j.Context#setPrecision},
     * which refuses {@link Precision#BF16} where no bf16 kernel runs). FP32 unless set.
     */
    public TrainConfig withPrecision(Precision p) {
        return new TrainConfig(batchSize, lr, warmupSteps, weightDecay, gradClip, emaDecay, labelDropout, seed, decay,
                decaySteps, accumulation, p);
    }

    /** The learning rate of optimizer step {@code step} (0-based): warm-up, then the decay. */
    public float learningRate(long step) {
        double warm = warmupSteps == 0 ? 1.0 : Math.min(1.0, (step + 1.0) / warmupSteps);
        double d = decay == LrDecay.CONSTANT ? 1.0
                : 0.5 * (1 + Math.cos(Math.PI * Math.min(step, decaySteps) / (double) decaySteps));
        return (float) (lr * warm * d);
    }
}
