package org.diffusion4j.ops;

import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.Handles;
import org.diffusion4j.internal.Native;

/** Global average pooling of an NHWC map (N, H, W, C) to (N, C): each channel's mean over the H·W pixels. */
public final class GlobalAvgPool {
    private GlobalAvgPool() {}

    /** y (N, C) = the mean of x (N, H, W, C) over its pixels. */
    public static void forward(Context ctx, Tensor y, Tensor x) {
        Objects.requireNonNull(ctx, "ctx");
        Native.check(D4jNative.d4j_global_avg_pool_forward(Handles.ctx(ctx), Handles.tensor(Objects.requireNonNull(y, "y")),
                Handles.tensor(Objects.requireNonNull(x, "x"))), ctx, y, x);
    }

    /** dx (N, H, W, C) = dy (N, C) / (H·W) at every pixel (overwritten). */
    public static void backward(Context ctx, Tensor dx, Tensor dy) {
        Objects.requireNonNull(ctx, "ctx");
        Native.check(D4jNative.d4j_global_avg_pool_backward(Handles.ctx(ctx),
                Handles.tensor(Objects.requireNonNull(dx, "dx")), Handles.tensor(Objects.requireNonNull(dy, "dy"))), ctx, dx, dy);
    }
}
