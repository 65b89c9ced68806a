package org.diffusion4j.eval;

import org.diffusion4j.Context;
import org.diffusion4j.Tensor;

/**
 * A classifier whose penultimate features define FID and precision/recall and whose verdict
 * defines class accuracy (the evaluation suite's feature network).
 */
public interface ImageClassifier {
    /** The image shape it takes: {H, W, C}. */
    int[] imageShape();

    /** The class names by label. */
    java.util.List<String> classNames();

    /** The penultimate features of each image of {@code images} (N, H, W, C) in [−1, 1]: N × D. */
    float[][] features(Context ctx, Tensor images);

    /** The most probable class of each image. */
    int[] predict(Context ctx, Tensor images);
}
