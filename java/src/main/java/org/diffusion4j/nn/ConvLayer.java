package org.diffusion4j.nn;

import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.ops.Conv2d;

/** A 2-D convolution layer with bias over NHWC maps (see {@link Conv2d}). */
public final class ConvLayer extends Module {
    final Param weight;
    final Param bias;
    private final int k;
    private final int stride;
    private final int pad;
    private final int cout;

    public ConvLayer(Context ctx, String name, int cin, int cout, int k, int stride, int pad, boolean zeroInit) {
        super(ctx, name);
        this.k = k;
        this.stride = stride;
        this.pad = pad;
        this.cout = cout;
        weight = param("weight", k, k, cin, cout);
        bias = param("bias", cout);
        if (!zeroInit) {
            initUniform(weight.value(), k * k * cin);
            initUniform(bias.value(), k * k * cin);
        }
    }

    @Override
    protected State newState(Context ctx) {
        return new LayerState(ctx); // y, dx and the input the backward pass needs
    }

    /** The output shape for input x. */
    public int[] shape(Tensor x) {
        return new int[] {x.dim(0), Conv2d.outputSize(x.dim(1), k, stride, pad), Conv2d.outputSize(x.dim(2), k, stride, pad),
            cout};
    }

    /** y = conv(x) on {@code ctx}; y is owned by this layer's state on ctx (valid until its next forward there). */
    public Tensor forward(Context ctx, Tensor x) {
        return forwardWith(ctx, x, null);
    }

    /**
     * y = conv(x) + residual on {@code ctx} (residual: y's shape, e.g. a residual block's skip
     * path, added as the convolution stores y); y is owned by this layer's state on ctx.
     */
    public Tensor forward(Context ctx, Tensor x, Tensor residual) {
        return forwardWith(ctx, x, Objects.requireNonNull(residual, "residual"));
    }

    private Tensor forwardWith(Context ctx, Tensor x, Tensor residual) { // residual null: none
        LayerState s = state(ctx);
        s.input = x;
        Tensor y = s.buffer("y", shape(x));
        if (residual != null) {
            Conv2d.forwardResidual(ctx, y, x, residual, weight.value(), bias.value(), stride, pad);
        } else {
            Conv2d.forward(ctx, y, x, weight.value(), bias.value(), stride, pad);
        }
        return y;
    }

    /**
     * Accumulates the weight and bias gradients only, for a first layer whose input (the images)
     * needs no gradient: the backward pass without its data half.
     */
    public void backwardWeights(Context ctx, Tensor dy) {
        LayerState s = state(ctx);
        if (!isFrozen()) {
            Conv2d.backwardWeights(ctx, weight.grad(), bias.grad(), dy, saved(s.input), stride, pad);
        }
    }

    /**
     * Accumulates the weight and bias gradients (unless {@link #isFrozen frozen}); returns ∂L/∂x
     * (owned by this layer's state on ctx).
     */
    public Tensor backward(Context ctx, Tensor dy) {
        LayerState s = state(ctx);
        Tensor input = saved(s.input);
        if (!isFrozen()) {
            Conv2d.backwardWeights(ctx, weight.grad(), bias.grad(), dy, input, stride, pad);
        }
        Tensor dx = s.buffer("dx", input.shape());
        Conv2d.backwardData(ctx, dx, dy, weight.value(), stride, pad);
        return dx;
    }
}
