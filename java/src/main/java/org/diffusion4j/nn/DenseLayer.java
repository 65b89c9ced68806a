package org.diffusion4j.nn;

import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.ops.Linear;

/** A fully connected layer over the last dimension (see {@link Linear}). */
public final class DenseLayer extends Module {
    final Param weight;
    final Param bias;
    private final int out;
    private Tensor input;

    public DenseLayer(Context ctx, String name, int in, int out, boolean withBias) {
        super(ctx, name);
        this.out = out;
        weight = param("weight", in, out);
        bias = withBias ? param("bias", out) : null;
        initUniform(weight.value(), in);
        if (bias != null) {
            initUniform(bias.value(), in);
        }
    }

    public Tensor forward(Tensor x) {
        input = x;
        int[] shape = x.shape();
        shape[shape.length - 1] = out;
        Tensor y = buffer("y", shape);
        Linear.forward(ctx, y, x, weight.value(), bias == null ? null : bias.value());
        return y;
    }

    public Tensor backward(Tensor dy) {
        Linear.backwardWeights(ctx, weight.grad(), bias == null ? null : bias.grad(), dy, input);
        Tensor dx = buffer("dx", input.shape());
        Linear.backwardData(ctx, dx, dy, weight.value());
        return dx;
    }
}
