package org.diffusion4j.ops;

import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.Handles;
import org.diffusion4j.internal.Native;

/** Nearest-neighbour 2× upsampling: x (N, H, W, C) → y (N, 2H, 2W, C). */
public final class Upsample {
    private Upsample() {}

    public static void forward(Context ctx, Tensor y, Tensor x) {
        Objects.requireNonNull(ctx, "ctx");
        Native.check(D4jNative.d4j_upsample_nearest2x_forward(Handles.ctx(ctx),
                Handles.tensor(Objects.requireNonNull(y, "y")), Handles.tensor(Objects.requireNonNull(x, "x"))), ctx, y, x);
    }

    /** dx (N, H, W, C) = the sum of each 2×2 block of dy (overwritten). */
    public static void backward(Context ctx, Tensor dx, Tensor dy) {
        Objects.requireNonNull(ctx, "ctx");
        Native.check(D4jNative.d4j_upsample_nearest2x_backward(Handles.ctx(ctx),
                Handles.tensor(Objects.requireNonNull(dx, "dx")), Handles.tensor(Objects.requireNonNull(dy, "dy"))), ctx, dx, dy);
    }
}
