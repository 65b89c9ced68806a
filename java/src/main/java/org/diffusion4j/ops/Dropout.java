package org.diffusion4j.ops;

import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.Handles;
import org.diffusion4j.internal.Native;

/**
 * Dropout with a Philox mask: each element kept with probability 1 − p and scaled by 1/(1 − p).
 * The mask is drawn from the context's random stream and not stored: {@link #forward} returns
 * where it came from, and {@link #backward} regenerates it from that.
 */
public final class Dropout {
    private Dropout() {}

    /** The Philox position of a forward pass's mask. */
    public record Mask(long seed, long offset) {}

    public static Mask forward(Context ctx, Tensor y, Tensor x, float p) {
        Objects.requireNonNull(ctx, "ctx");
        long[] seed = new long[1];
        long[] offset = new long[1];
        Native.check(D4jNative.d4j_dropout_forward(Handles.ctx(ctx), Handles.tensor(Objects.requireNonNull(y, "y")),
                seed, offset, Handles.tensor(Objects.requireNonNull(x, "x")), p), ctx, y, x);
        return new Mask(seed[0], offset[0]);
    }

    /** dx = dy masked and scaled exactly as the forward pass that returned {@code mask}. */
    public static void backward(Context ctx, Tensor dx, Tensor dy, float p, Mask mask) {
        Objects.requireNonNull(ctx, "ctx");
        Objects.requireNonNull(mask, "mask");
        Native.check(D4jNative.d4j_dropout_backward(Handles.ctx(ctx), Handles.tensor(Objects.requireNonNull(dx, "dx")),
                Handles.tensor(Objects.requireNonNull(dy, "dy")), p, mask.seed(), mask.offset()), ctx, dx, dy);
    }
}
