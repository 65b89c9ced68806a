package org.diffusion4j.testing;

import org.bytedeco.pytorch.AbstractTensor;
import org.bytedeco.pytorch.Tensor;

/**
 * libtorch (through org.bytedeco:pytorch) as the independent reference for op tests: moving
 * float arrays in and out, NHWC ↔ NCHW permutes, and the relative error the tests assert on.
 */
public final class Torch {
    private Torch() {}

    /** A float32 libtorch tensor holding {@code data} with {@code shape} (a copy). */
    public static Tensor tensor(float[] data, long... shape) {
        return AbstractTensor.create(data, shape);
    }

    /** NHWC data as an NCHW libtorch tensor (a contiguous copy). */
    public static Tensor nchw(float[] nhwc, int n, int h, int w, int c) {
        return AbstractTensor.create(nhwc, n, h, w, c).permute(0, 3, 1, 2).contiguous();
    }

    /** An NCHW libtorch tensor's data in NHWC order. */
    public static float[] nhwc(Tensor nchw) {
        return array(nchw.permute(0, 2, 3, 1));
    }

    /** The tensor's elements in row-major order of its current view. */
    public static float[] array(Tensor t) {
        Tensor c = t.contiguous();
        float[] out = new float[(int) c.numel()];
        c.data_ptr_float().get(out);
        return out;
    }

    /** See {@link TestData#relativeError}. */
    public static double relativeError(float[] a, float[] b) {
        return TestData.relativeError(a, b);
    }

    /** See {@link TestData#random}. */
    public static float[] random(long seed, int n, float scale) {
        return TestData.random(seed, n, scale);
    }
}
