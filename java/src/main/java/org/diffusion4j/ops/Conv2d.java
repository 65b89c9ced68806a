package org.diffusion4j.ops;

import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.Handles;
import org.diffusion4j.internal.Native;

/**
 * 2-D convolution over NHWC tensors with a square kernel: x (N, H, W, Cin), w (K, K, Cin, Cout),
 * bias (Cout), y (N, Ho, Wo, Cout) with Ho = (H + 2·pad − K)/stride + 1. The U-Net uses K = 3
 * with stride 1 pad 1, K = 3 stride 2 pad 1 (downsampling) and K = 1 stride 1 pad 0.
 */
public final class Conv2d {
    private Conv2d() {}

    /** Output extent along one spatial axis. */
    public static int outputSize(int in, int kernel, int stride, int pad) {
        return (in + 2 * pad - kernel) / stride + 1;
    }

    /** y = conv(x, w) + bias; {@code bias} may be null. */
    public static void forward(Context ctx, Tensor y, Tensor x, Tensor w, Tensor bias, int stride, int pad) {
        Objects.requireNonNull(ctx, "ctx");
        Native.check(D4jNative.d4j_conv2d_forward(Handles.ctx(ctx), Handles.tensor(Objects.requireNonNull(y, "y")),
                Handles.tensor(Objects.requireNonNull(x, "x")), Handles.tensor(Objects.requireNonNull(w, "w")),
                bias == null ? null : Handles.tensor(bias), stride, pad), ctx, y, x, w, bias);
    }

    /**
     * y = conv(x, w) + bias + residual, a residual connection's sum fused into the convolution
     * (the bits of {@link #forward} followed by {@link Add#forward}, with fewer passes over y);
     * {@code residual} has y's shape and is not y (it may be x). {@code bias} may be null.
     */
    public static void forwardResidual(Context ctx, Tensor y, Tensor x, Tensor residual, Tensor w, Tensor bias,
            int stride, int pad) {
        Objects.requireNonNull(ctx, "ctx");
        Native.check(D4jNative.d4j_conv2d_forward_residual(Handles.ctx(ctx),
                Handles.tensor(Objects.requireNonNull(y, "y")), Handles.tensor(Objects.requireNonNull(x, "x")),
                Handles.tensor(Objects.requireNonNull(residual, "residual")),
                Handles.tensor(Objects.requireNonNull(w, "w")), bias == null ? null : Handles.tensor(bias), stride, pad),
                ctx, y, x, residual, w, bias);
    }

    /** dx = ∂L/∂x (overwritten) from dy = ∂L/∂y. */
    public static void backwardData(Context ctx, Tensor dx, Tensor dy, Tensor w, int stride, int pad) {
        Objects.requireNonNull(ctx, "ctx");
        Native.check(D4jNative.d4j_conv2d_backward_data(Handles.ctx(ctx),
                Handles.tensor(Objects.requireNonNull(dx, "dx")), Handles.tensor(Objects.requireNonNull(dy, "dy")),
                Handles.tensor(Objects.requireNonNull(w, "w")), stride, pad), ctx, dx, dy, w);
    }

    /** dw += ∂L/∂w and, unless {@code dbias} is null, dbias += ∂L/∂bias. */
    public static void backwardWeights(Context ctx, Tensor dw, Tensor dbias, Tensor dy, Tensor x, int stride, int pad) {
        Objects.requireNonNull(ctx, "ctx");
        Native.check(D4jNative.d4j_conv2d_backward_weights(Handles.ctx(ctx),
                Handles.tensor(Objects.requireNonNull(dw, "dw")), dbias == null ? null : Handles.tensor(dbias),
                Handles.tensor(Objects.requireNonNull(dy, "dy")), Handles.tensor(Objects.requireNonNull(x, "x")),
                stride, pad), ctx, dw, dbias, dy, x);
    }
}
