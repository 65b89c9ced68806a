package org.diffusion4j.ops;

import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.Handles;
import org.diffusion4j.internal.Native;

/**
 * Fully connected layer y = x·w + bias over the last dimension: x (..., K), w (K, N) (note: the
 * transpose of PyTorch's (N, K) layout), bias (N), y (..., N).
 */
public final class Linear {
    private Linear() {}

    /** y = x·w + bias; {@code bias} may be null. */
    public static void forward(Context ctx, Tensor y, Tensor x, Tensor w, Tensor bias) {
        Objects.requireNonNull(ctx, "ctx");
        Native.check(D4jNative.d4j_linear_forward(Handles.ctx(ctx), Handles.tensor(Objects.requireNonNull(y, "y")),
                Handles.tensor(Objects.requireNonNull(x, "x")), Handles.tensor(Objects.requireNonNull(w, "w")),
                bias == null ? null : Handles.tensor(bias)), ctx, y, x, w, bias);
    }

    /** dx = dy·wᵀ (overwritten). */
    public static void backwardData(Context ctx, Tensor dx, Tensor dy, Tensor w) {
        Objects.requireNonNull(ctx, "ctx");
        Native.check(D4jNative.d4j_linear_backward_data(Handles.ctx(ctx),
                Handles.tensor(Objects.requireNonNull(dx, "dx")), Handles.tensor(Objects.requireNonNull(dy, "dy")),
                Handles.tensor(Objects.requireNonNull(w, "w"))), ctx, dx, dy, w);
    }

    /** dw += xᵀ·dy and, unless {@code dbias} is null, dbias += Σ_rows dy. */
    public static void backwardWeights(Context ctx, Tensor dw, Tensor dbias, Tensor dy, Tensor x) {
        Objects.requireNonNull(ctx, "ctx");
        Native.check(D4jNative.d4j_linear_backward_weights(Handles.ctx(ctx),
                Handles.tensor(Objects.requireNonNull(dw, "dw")), dbias == null ? null : Handles.tensor(dbias),
                Handles.tensor(Objects.requireNonNull(dy, "dy")), Handles.tensor(Objects.requireNonNull(x, "x"))), ctx, dw, dbias, dy, x);
    }
}
