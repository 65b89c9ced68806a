package org.diffusion4j.data;

import java.util.List;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;

/**
 * Training images of one size, NHWC, scaled to [-1, 1], each with a class label when the data
 * set has classes ({@link #classNames()} non-empty) — what {@code d4j train} reads.
 */
public interface ImageDataset {
    int size();

    int height();

    int width();

    /** 1 (grey) or 3 (RGB). */
    int channels();

    /** The class names by label; empty for an unlabelled (unconditional) data set. */
    List<String> classNames();

    /** The label of image {@code index} in 0..classNames().size()−1, or −1 when there are no classes. */
    int label(int index);

    /** Image {@code index} as height × width × channels floats in [-1, 1], row-major, channels last. */
    float[] image(int index);

    /** Images first .. first + n − 1 as one NHWC tensor (n, H, W, C) on ctx; the caller closes it. */
    default Tensor batch(Context ctx, int first, int n) {
        if (n < 1 || first < 0 || first + n > size()) {
            throw new IllegalArgumentException("images " + first + " .. " + (first + n - 1) + " of a data set of " + size());
        }
        int pixels = height() * width() * channels();
        float[] data = new float[n * pixels];
        for (int i = 0; i < n; i++) {
            System.arraycopy(image(first + i), 0, data, i * pixels, pixels);
        }
        return Tensor.of(ctx, data, n, height(), width(), channels());
    }
}
