package org.diffusion4j.ops;

import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.Handles;
import org.diffusion4j.internal.Native;

/**
 * Per-sample linear combination out = a[n]·x + b[n]·y over the samples n of dimension 0: the
 * conversions between ε, x_0 and v (e.g. v = √ᾱ ε − √(1−ᾱ) x_0 with per-sample ᾱ) and regression
 * targets.
 */
public final class Axpby {
    private Axpby() {}

    /**
     * out = a[n]·x + b[n]·y, or a[n]·x when y is null (b is then ignored and may be null); out, x,
     * y (N, ...) alike, out may be x or y; a and b hold N finite values.
     */
    public static void apply(Context ctx, Tensor out, Tensor x, Tensor y, float[] a, float[] b) {
        Objects.requireNonNull(ctx, "ctx");
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(x, "x");
        perSample(a, "a", out);
        if (y != null) {
            perSample(b, "b", out);
        }
        Native.check(D4jNative.d4j_axpby(Handles.ctx(ctx), Handles.tensor(out), Handles.tensor(x),
                y == null ? null : Handles.tensor(y), a, y == null ? null : b), ctx, out, x, y);
    }

    /** v holds one finite value per sample of t. */
    static void perSample(float[] v, String name, Tensor t) {
        Objects.requireNonNull(v, name);
        if (v.length != t.dim(0)) {
            throw new IllegalArgumentException(name + " has " + v.length + " entries but there are " + t.dim(0)
                    + " samples (dimension 0)");
        }
        for (int n = 0; n < v.length; n++) {
            if (!Float.isFinite(v[n])) {
                throw new IllegalArgumentException(name + "[" + n + "] is " + v[n] + "; it must be finite");
            }
        }
    }
}
