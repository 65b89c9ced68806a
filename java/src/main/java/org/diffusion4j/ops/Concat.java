package org.diffusion4j.ops;

import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.Handles;
import org.diffusion4j.internal.Native;

/** Channel concatenation for U-Net skip connections: a (..., Ca), b (..., Cb) → y (..., Ca + Cb). */
public final class Concat {
    private Concat() {}

    public static void forward(Context ctx, Tensor y, Tensor a, Tensor b) {
        Objects.requireNonNull(ctx, "ctx");
        Native.check(D4jNative.d4j_concat_channels_forward(Handles.ctx(ctx),
                Handles.tensor(Objects.requireNonNull(y, "y")), Handles.tensor(Objects.requireNonNull(a, "a")),
                Handles.tensor(Objects.requireNonNull(b, "b"))), ctx, y, a, b);
    }

    /** Splits dy into da and db (overwritten). */
    public static void backward(Context ctx, Tensor da, Tensor db, Tensor dy) {
        Objects.requireNonNull(ctx, "ctx");
        Native.check(D4jNative.d4j_concat_channels_backward(Handles.ctx(ctx),
                Handles.tensor(Objects.requireNonNull(da, "da")), Handles.tensor(Objects.requireNonNull(db, "db")),
                Handles.tensor(Objects.requireNonNull(dy, "dy"))), ctx, da, db, dy);
    }
}
