package org.diffusion4j.nn;

import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.ops.GroupNorm;

/** GroupNorm with affine parameters, optionally followed by SiLU in the same pass. */
public final class NormLayer extends Module {
    final Param gamma;
    final Param beta;
    private final int groups;
    private final boolean silu;

    public NormLayer(Context ctx, String name, int channels, int groups, boolean silu) {
        super(ctx, name);
        if (channels % groups != 0) {
            throw new IllegalArgumentException(name + ": " + channels + " channels do not split into " + groups + " groups");
        }
        this.groups = groups;
        this.silu = silu;
        gamma = param("gamma", channels);
        beta = param("beta", channels);
        gamma.value().fill(1f);
    }

    @Override
    protected State newState(Context ctx) {
        return new LayerState(ctx); // y, the group statistics, dx and the input the backward pass needs
    }

    /** y = GN(x) (then SiLU) on {@code ctx}; y is owned by this layer's state on ctx. */
    public Tensor forward(Context ctx, Tensor x) {
        LayerState s = state(ctx);
        s.input = x;
        Tensor y = s.buffer("y", x.shape());
        GroupNorm.forward(ctx, y, s.buffer("mean", x.dim(0), groups), s.buffer("rstd", x.dim(0), groups), x, gamma.value(),
                beta.value(), groups, GroupNorm.DEFAULT_EPS, silu);
        return y;
    }

    /**
     * Accumulates the γ and β gradients (unless {@link #isFrozen frozen}: the kernel then
     * accumulates into a scratch pair of this context's); returns ∂L/∂x (owned by this layer's
     * state on ctx).
     */
    public Tensor backward(Context ctx, Tensor dy) {
        return backwardWith(ctx, dy, null);
    }

    /**
     * As {@link #backward(Context, Tensor)}, returning ∂L/∂x + residual: the gradient of a
     * residual block's input, whose other path's gradient {@code residual} (the input's shape)
     * is added as dx is stored.
     */
    public Tensor backward(Context ctx, Tensor dy, Tensor residual) {
        return backwardWith(ctx, dy, Objects.requireNonNull(residual, "residual"));
    }

    private Tensor backwardWith(Context ctx, Tensor dy, Tensor residual) { // residual null: none
        LayerState s = state(ctx);
        Tensor input = saved(s.input);
        Tensor dx = s.buffer("dx", input.shape());
        boolean frozen = isFrozen();
        Tensor dGamma = frozen ? s.buffer("d_gamma_scratch", gamma.grad().shape()).fill(0f) : gamma.grad();
        Tensor dBeta = frozen ? s.buffer("d_beta_scratch", beta.grad().shape()).fill(0f) : beta.grad();
        Tensor mean = s.buffer("mean", input.dim(0), groups);
        Tensor rstd = s.buffer("rstd", input.dim(0), groups);
        if (residual != null) {
            GroupNorm.backwardResidual(ctx, dx, dGamma, dBeta, dy, input, residual, mean, rstd, gamma.value(), beta.value(),
                    groups, silu);
        } else {
            GroupNorm.backward(ctx, dx, dGamma, dBeta, dy, input, mean, rstd, gamma.value(), beta.value(), groups, silu);
        }
        return dx;
    }
}
