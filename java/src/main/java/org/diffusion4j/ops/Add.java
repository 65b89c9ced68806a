package org.diffusion4j.ops;

import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.Handles;
import org.diffusion4j.internal.Native;

/**
 * Additions of the U-Net: elementwise y = a + b (residual connections), and a per-sample channel
 * vector broadcast over a feature map (the time-embedding projection) with its gradient.
 */
public final class Add {
    private Add() {}

    public static void forward(Context ctx, Tensor y, Tensor a, Tensor b) {
        Objects.requireNonNull(ctx, "ctx");
        Native.check(D4jNative.d4j_add(Handles.ctx(ctx), Handles.tensor(Objects.requireNonNull(y, "y")),
                Handles.tensor(Objects.requireNonNull(a, "a")), Handles.tensor(Objects.requireNonNull(b, "b"))), ctx, y, a, b);
    }

    /** y = x + b broadcast over pixels: x, y (N, ..., C), b (N, C); y may be x. */
    public static void perSample(Context ctx, Tensor y, Tensor x, Tensor b) {
        Objects.requireNonNull(ctx, "ctx");
        Native.check(D4jNative.d4j_add_per_sample(Handles.ctx(ctx), Handles.tensor(Objects.requireNonNull(y, "y")),
                Handles.tensor(Objects.requireNonNull(x, "x")), Handles.tensor(Objects.requireNonNull(b, "b"))), ctx, y, x, b);
    }

    /** db (N, C) = Σ over pixels of dy (N, ..., C), the gradient of {@link #perSample} for b (overwritten). */
    public static void perSampleBackward(Context ctx, Tensor db, Tensor dy) {
        Objects.requireNonNull(ctx, "ctx");
        Native.check(D4jNative.d4j_sum_per_sample(Handles.ctx(ctx), Handles.tensor(Objects.requireNonNull(db, "db")),
                Handles.tensor(Objects.requireNonNull(dy, "dy"))), ctx, db, dy);
    }
}
