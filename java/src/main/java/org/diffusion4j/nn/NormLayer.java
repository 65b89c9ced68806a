package org.diffusion4j.nn;

import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.ops.GroupNorm;

/** GroupNorm with affine parameters, optionally followed by SiLU in the same pass. */
public final class NormLayer extends Module {
    final Param gamma;
    final Param beta;
    private final int groups;
    private final boolean silu;
    private Tensor input;

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

    public Tensor forward(Tensor x) {
        input = x;
        Tensor y = buffer("y", x.shape());
        GroupNorm.forward(ctx, y, buffer("mean", x.dim(0), groups), buffer("rstd", x.dim(0), groups), x, gamma.value(),
                beta.value(), groups, GroupNorm.DEFAULT_EPS, silu);
        return y;
    }

    public Tensor backward(Tensor dy) {
        Tensor dx = buffer("dx", input.shape());
        GroupNorm.backward(ctx, dx, gamma.grad(), beta.grad(), dy, input, buffer("mean", input.dim(0), groups),
                buffer("rstd", input.dim(0), groups), gamma.value(), beta.value(), groups, silu);
        return dx;
    }
}
