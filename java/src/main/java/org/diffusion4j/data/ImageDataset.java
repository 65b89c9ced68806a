package org.diffusion4j.data;

import java.util.List;

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
}
