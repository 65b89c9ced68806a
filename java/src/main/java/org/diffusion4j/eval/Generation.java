package org.diffusion4j.eval;

import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.diffusion.ClassifierGradient;
import org.diffusion4j.diffusion.ClassifierGuidance;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.ImageSampler;
import org.diffusion4j.diffusion.SampleNoise;
import org.diffusion4j.diffusion.Sampler;

/**
 * Draws N images with a sampler in batches: image i gets sample id i of the seed, so the set does
 * not depend on the batch size, and the labels cycle through the classes (i mod K), as the
 * evaluation's class accuracy needs.
 */
public final class Generation {
    private Generation() {}

    /** Called after each batch; returning false cancels. */
    @FunctionalInterface
    public interface Progress {
        boolean onBatch(int done, int total);
    }

    /** Labels 0, 1, …, K − 1, 0, 1, … for N images, or null when K is 0. */
    public static int[] cyclingLabels(int n, int classes) {
        if (classes == 0) {
            return null;
        }
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % classes;
        }
        return y;
    }

    /**
     * @param shape {H, W, C}
     * @param labels one per image, or null
     * @return N images, each H·W·C values in the model's range
     */
    public static float[][] sample(Context ctx, Denoiser model, ImageSampler sampler, int n, int[] shape, int[] labels,
            long seed, int batch, Progress progress) {
        Objects.requireNonNull(sampler, "sampler");
        return batches(n, shape, labels, seed, batch, progress, (y, noise) -> sampler.sample(ctx, model,
                new int[] {noise.size(), shape[0], shape[1], shape[2]}, y, noise, null));
    }

    /**
     * As {@link #sample(Context, Denoiser, ImageSampler, int, int[], int[], long, int, Progress)} with
     * classifier guidance at {@code scale} towards {@code labels} (classifier null: none); the
     * model is given the labels only when {@code modelTakesLabels} (an unconditional model is not).
     */
    public static float[][] sample(Context ctx, Denoiser model, Sampler sampler, int n, int[] shape, int[] labels,
            boolean modelTakesLabels, ClassifierGradient classifier, double scale, long seed, int batch, Progress progress) {
        Objects.requireNonNull(sampler, "sampler");
        if (classifier != null && labels == null) {
            throw new IllegalArgumentException("classifier guidance needs labels to steer towards");
        }
        return batches(n, shape, labels, seed, batch, progress, (y, noise) -> sampler.sample(ctx, model,
                new int[] {noise.size(), shape[0], shape[1], shape[2]}, modelTakesLabels ? y : null, noise, null,
                classifier == null ? null : new ClassifierGuidance(classifier, scale, y)));
    }

    /** One batch: its labels (or null) and noise to the samples. */
    private interface Batch {
        Tensor draw(int[] labels, SampleNoise noise);
    }

    private static float[][] batches(int n, int[] shape, int[] labels, long seed, int batch, Progress progress, Batch draw) {
        if (n < 1 || batch < 1) {
            throw new IllegalArgumentException("n " + n + " and batch " + batch + " must be >= 1");
        }
        int per = shape[0] * shape[1] * shape[2];
        float[][] out = new float[n][];
        for (int start = 0; start < n; start += batch) {
            int b = Math.min(batch, n - start);
            int[] y = labels == null ? null : java.util.Arrays.copyOfRange(labels, start, start + b);
            try (Tensor x = draw.draw(y, SampleNoise.range(seed, start, b))) {
                float[] v = x.toArray();
                for (int i = 0; i < b; i++) {
                    out[start + i] = java.util.Arrays.copyOfRange(v, i * per, (i + 1) * per);
                }
            }
            if (progress != null && !progress.onBatch(start + b, n)) {
                throw new java.util.concurrent.CancellationException("generation cancelled after " + (start + b) + " images");
            }
        }
        return out;
    }
}
