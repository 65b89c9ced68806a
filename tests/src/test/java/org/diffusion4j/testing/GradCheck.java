package org.diffusion4j.testing;

import java.util.function.Function;
import org.diffusion4j.Tensor;

/**
 * Finite-difference gradient check, the second opinion beside libtorch: for a scalar loss
 * L(x) = Σ r_i · f(x)_i with fixed random weights r, compares an analytic gradient dL/dx with
 * central differences (L(x + h e_j) − L(x − h e_j)) / 2h on a sample of coordinates, all in
 * float64 around a float32 function.
 */
public final class GradCheck {
    private GradCheck() {}

    /**
     * @param f the op under test, float32 in, float32 out
     * @param x the point
     * @param r loss weights, one per output element
     * @param analytic dL/dx from the op's backward at x (with dy = r)
     * @param h step (float32 ops want about 1e-2 to 1e-3)
     * @param samples coordinates checked (spread evenly over x)
     * @return the largest |numeric − analytic| / max(1e-2, |numeric| + |analytic|)
     */
    public static double maxRelativeError(Function<float[], float[]> f, float[] x, float[] r, float[] analytic,
            float h, int samples) {
        double worst = 0;
        int stride = Math.max(1, x.length / samples);
        for (int j = 0; j < x.length; j += stride) {
            float[] plus = x.clone();
            float[] minus = x.clone();
            plus[j] += h;
            minus[j] -= h;
            double numeric = (loss(f.apply(plus), r) - loss(f.apply(minus), r)) / ((double) plus[j] - minus[j]);
            double err = Math.abs(numeric - analytic[j]) / Math.max(1e-2, Math.abs(numeric) + Math.abs(analytic[j]));
            worst = Math.max(worst, err);
        }
        return worst;
    }

    /**
     * The same for an op on tensors: {@code input} takes each perturbed point, {@code forward}
     * recomputes {@code output} from it; afterwards {@code input} holds {@code x} again.
     */
    public static double maxRelativeError(Tensor input, Runnable forward, Tensor output, float[] x, float[] r,
            float[] analytic, float h, int samples) {
        double e = maxRelativeError(v -> {
            input.copyFrom(v);
            forward.run();
            return output.toArray();
        }, x, r, analytic, h, samples);
        input.copyFrom(x);
        return e;
    }

    static double loss(float[] y, float[] r) {
        double s = 0;
        for (int i = 0; i < y.length; i++) {
            s += (double) y[i] * r[i];
        }
        return s;
    }
}
