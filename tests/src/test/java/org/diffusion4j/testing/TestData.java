package org.diffusion4j.testing;

/**
 * Test data and error measures that need no libtorch, so the CUDA-vs-CPU tests also run where
 * only a JRE and the library are present (the GPU machine).
 */
public final class TestData {
    private TestData() {}

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

    /** "64x28x28x1" as a shape. */
    public static int[] shape(String dims) {
        return java.util.Arrays.stream(dims.split("x")).mapToInt(Integer::parseInt).toArray();
    }

    /** The element count of a shape. */
    public static int numel(int... shape) {
        return java.util.Arrays.stream(shape).reduce(1, Math::multiplyExact);
    }
}
