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

    /** ‖a − b‖ / ‖b‖ in float64; +∞ when a holds a NaN (an unwritten, poisoned element). */
    public static double relativeError(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("lengths differ: " + a.length + " vs " + b.length);
        }
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.length; i++) {
            if (Float.isNaN(a[i])) {
                return Double.POSITIVE_INFINITY;
            }
            double d = (double) a[i] - b[i];
            num += d * d;
            den += (double) b[i] * b[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    /** Deterministic test data in [-scale, scale], never all zeros. */
    public static float[] random(long seed, int n, float scale) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        }
        return x;
    }
}
