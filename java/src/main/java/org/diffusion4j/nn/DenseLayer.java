package org.diffusion4j.nn;

import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.ops.Linear;

/** A fully connected layer over the last dimension (see {@link Linear}). */
public final class DenseLayer extends Module {
    final Param weight;
    final Param bias;
    private final int out;

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

    @Override
    protected State newState(Context ctx) {
        return new LayerState(ctx); // y, dx and the input the backward pass needs
    }

    /** y = x·w + b on {@code ctx}; y is owned by this layer's state on ctx. */
    public Tensor forward(Context ctx, Tensor x) {
        LayerState s = state(ctx);
        s.input = x;
        int[] shape = x.shape();
        shape[shape.length - 1] = out;
        Tensor y = s.buffer("y", shape);
        Linear.forward(ctx, y, x, weight.value(), bias == null ? null : bias.value());
        return y;
    }

    /**
     * Accumulates the weight (and bias) gradients (unless {@link #isFrozen frozen}); returns ∂L/∂x
     * (owned by this layer's state on ctx).
     */
    public Tensor backward(Context ctx, Tensor dy) {
        LayerState s = state(ctx);
        Tensor input = saved(s.input);
        if (!isFrozen()) {
            Linear.backwardWeights(ctx, weight.grad(), bias == null ? null : bias.grad(), dy, input);
        }
        Tensor dx = s.buffer("dx", input.shape());
        Linear.backwardData(ctx, dx, dy, weight.value());
        return dx;
    }
}
