package org.diffusion4j.nn;

import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.ops.Upsample;

/**
 * A plain chain of the autoencoder's layers — convolutions, GroupNorm(+SiLU), residual blocks
 * without a time embedding, and nearest 2× upsampling followed by a convolution — run forward
 * in order and backward in reverse.
 */
abstract class ConvStack extends Module {
    private final List<Module> layers = new ArrayList<>();
    private final List<Boolean> upsampleFirst = new ArrayList<>();

    ConvStack(Context ctx, String name) {
        super(ctx, name);
    }

    /** Appends a layer; {@code upsample}: nearest 2× upsampling runs before it (a ConvLayer). */
    final <M extends Module> M add(M layer, boolean upsample) {
        if (!(layer instanceof ConvLayer || layer instanceof NormLayer || layer instanceof ResBlock)
                || upsample && !(layer instanceof ConvLayer)) {
            throw new IllegalArgumentException(layer.name() + ": a chain holds convolutions (upsampling may precede "
                    + "one), norms and residual blocks");
        }
        layers.add(child(layer));
        upsampleFirst.add(upsample);
        return layer;
    }

    final ResBlock res(Context ctx, String local, int cin, int cout, int groups) {
        return add(new ResBlock(ctx, name() + "." + local, cin, cout, 0, groups, 0f), false);
    }

    final ConvLayer conv(Context ctx, String local, int cin, int cout, int stride, boolean upsample) {
        return add(new ConvLayer(ctx, name() + "." + local, cin, cout, 3, stride, 1, false), upsample);
    }

    /** The chain on ctx; the result is owned by the last layer's state there. */
    final Tensor run(Context ctx, Tensor x) {
        State s = state(ctx);
        Tensor h = x;
        for (int i = 0; i < layers.size(); i++) {
            Module m = layers.get(i);
            if (upsampleFirst.get(i)) {
                Tensor up = s.buffer("up" + i, h.dim(0), 2 * h.dim(1), 2 * h.dim(2), h.dim(3));
                Upsample.forward(ctx, up, h);
                h = up;
            }
            if (m instanceof ConvLayer c) {
                h = c.forward(ctx, h);
            } else if (m instanceof NormLayer n) {
                h = n.forward(ctx, h);
            } else {
                h = ((ResBlock) m).forward(ctx, h, null, false);
            }
        }
        return h;
    }

    /** Accumulates every layer's gradients from ctx's last {@link #run}; returns ∂L/∂x. */
    final Tensor back(Context ctx, Tensor dy) {
        return back(ctx, dy, true);
    }

    /**
     * As {@link #back(Context, Tensor)}; without {@code inputGradient} a first convolution
     * accumulates its weight gradients only (no ∂L/∂x: the images need none) and null is returned.
     */
    final Tensor back(Context ctx, Tensor dy, boolean inputGradient) {
        State s = state(ctx);
        Tensor d = dy;
        for (int i = layers.size() - 1; i >= 0; i--) {
            Module m = layers.get(i);
            if (i == 0 && !inputGradient && m instanceof ConvLayer c && !upsampleFirst.get(0)) {
                c.backwardWeights(ctx, d);
                return null;
            }
            if (m instanceof ConvLayer c) {
                d = c.backward(ctx, d);
            } else if (m instanceof NormLayer n) {
                d = n.backward(ctx, d);
            } else {
                d = ((ResBlock) m).backward(ctx, d, null);
            }
            if (upsampleFirst.get(i)) {
                Tensor down = s.buffer("dup" + i, d.dim(0), d.dim(1) / 2, d.dim(2) / 2, d.dim(3));
                Upsample.backward(ctx, down, d);
                d = down;
            }
        }
        return d;
    }
}
