package org.diffusion4j.ops;

import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.Handles;
import org.diffusion4j.internal.Native;

/**
 * GroupNorm (Wu &amp; He 2018) over channels-last tensors, optionally fused with SiLU:
 * y = SiLU(GN(x)). x, y (N, ..., C); gamma, beta (C); C divisible by {@code groups}; mean and
 * rstd (N, groups) receive the statistics the backward pass reuses.
 */
public final class GroupNorm {
    /** PyTorch's default epsilon. */
    public static final float DEFAULT_EPS = 1e-5f;

    private GroupNorm() {}

    public static void forward(Context ctx, Tensor y, Tensor mean, Tensor rstd, Tensor x, Tensor gamma, Tensor beta,
            int groups, float eps, boolean silu) {
        Objects.requireNonNull(ctx, "ctx");
        Native.check(D4jNative.d4j_groupnorm_forward(Handles.ctx(ctx), Handles.tensor(Objects.requireNonNull(y, "y")),
                Handles.tensor(Objects.requireNonNull(mean, "mean")), Handles.tensor(Objects.requireNonNull(rstd, "rstd")),
                Handles.tensor(Objects.requireNonNull(x, "x")), Handles.tensor(Objects.requireNonNull(gamma, "gamma")),
                Handles.tensor(Objects.requireNonNull(beta, "beta")), groups, eps, silu ? 1 : 0), ctx, y, mean, rstd, x, gamma, beta);
    }

    /** dx overwritten; dgamma and dbeta accumulated. Same {@code groups} and {@code silu} as the forward. */
    public static void backward(Context ctx, Tensor dx, Tensor dgamma, Tensor dbeta, Tensor dy, Tensor x, Tensor mean,
            Tensor rstd, Tensor gamma, Tensor beta, int groups, boolean silu) {
        Objects.requireNonNull(ctx, "ctx");
        Native.check(D4jNative.d4j_groupnorm_backward(Handles.ctx(ctx), Handles.tensor(Objects.requireNonNull(dx, "dx")),
                Handles.tensor(Objects.requireNonNull(dgamma, "dgamma")),
                Handles.tensor(Objects.requireNonNull(dbeta, "dbeta")), Handles.tensor(Objects.requireNonNull(dy, "dy")),
                Handles.tensor(Objects.requireNonNull(x, "x")), Handles.tensor(Objects.requireNonNull(mean, "mean")),
                Handles.tensor(Objects.requireNonNull(rstd, "rstd")),
                Handles.tensor(Objects.requireNonNull(gamma, "gamma")),
                Handles.tensor(Objects.requireNonNull(beta, "beta")), groups, silu ? 1 : 0), ctx, dx, dgamma, dbeta, dy, x, mean, rstd, gamma, beta);
    }

    /**
     * The backward with a residual connection's gradient added: dx = ∂L/∂x + residual (the bits of
     * {@link #backward} followed by {@link Add#forward}, with fewer passes over dx), for a block
     * out = f(GN(x)) + r(x) whose gradient through r is {@code residual} (x's shape, not dx).
     */
    public static void backwardResidual(Context ctx, Tensor dx, Tensor dgamma, Tensor dbeta, Tensor dy, Tensor x,
            Tensor residual, Tensor mean, Tensor rstd, Tensor gamma, Tensor beta, int groups, boolean silu) {
        Objects.requireNonNull(ctx, "ctx");
        Native.check(D4jNative.d4j_groupnorm_backward_residual(Handles.ctx(ctx),
                Handles.tensor(Objects.requireNonNull(dx, "dx")), Handles.tensor(Objects.requireNonNull(dgamma, "dgamma")),
                Handles.tensor(Objects.requireNonNull(dbeta, "dbeta")), Handles.tensor(Objects.requireNonNull(dy, "dy")),
                Handles.tensor(Objects.requireNonNull(x, "x")),
                Handles.tensor(Objects.requireNonNull(residual, "residual")),
                Handles.tensor(Objects.requireNonNull(mean, "mean")), Handles.tensor(Objects.requireNonNull(rstd, "rstd")),
                Handles.tensor(Objects.requireNonNull(gamma, "gamma")),
                Handles.tensor(Objects.requireNonNull(beta, "beta")), groups, silu ? 1 : 0),
                ctx, dx, dgamma, dbeta, dy, x, residual, mean, rstd, gamma, beta);
    }
}
