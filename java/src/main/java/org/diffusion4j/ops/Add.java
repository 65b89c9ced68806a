package org.diffusion4j.ops;

import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.Handles;
import org.diffusion4j.internal.Native;

/** y = a + b elementwise (residual connections); all three the same shape, y may be a or b. */
public final class Add {
    private Add() {}

    public static void forward(Context ctx, Tensor y, Tensor a, Tensor b) {
        Objects.requireNonNull(ctx, "ctx");
        Native.check(D4jNative.d4j_add(Handles.ctx(ctx), Handles.tensor(Objects.requireNonNull(y, "y")),
                Handles.tensor(Objects.requireNonNull(a, "a")), Handles.tensor(Objects.requireNonNull(b, "b"))));
    }
}
