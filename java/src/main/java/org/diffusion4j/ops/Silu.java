package org.diffusion4j.ops;

import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.Handles;
import org.diffusion4j.internal.Native;

/** SiLU(x) = x·σ(x) (the swish activation of the DDPM U-Net), elementwise on any shape. */
public final class Silu {
    private Silu() {}

    public static void forward(Context ctx, Tensor y, Tensor x) {
        Objects.requireNonNull(ctx, "ctx");
        Native.check(D4jNative.d4j_silu_forward(Handles.ctx(ctx), Handles.tensor(Objects.requireNonNull(y, "y")),
                Handles.tensor(Objects.requireNonNull(x, "x"))), ctx, y, x);
    }

    /** dx = dy·SiLU'(x) (overwritten). */
    public static void backward(Context ctx, Tensor dx, Tensor dy, Tensor x) {
        Objects.requireNonNull(ctx, "ctx");
        Native.check(D4jNative.d4j_silu_backward(Handles.ctx(ctx), Handles.tensor(Objects.requireNonNull(dx, "dx")),
                Handles.tensor(Objects.requireNonNull(dy, "dy")), Handles.tensor(Objects.requireNonNull(x, "x"))), ctx, dx, dy, x);
    }
}
