package org.diffusion4j.nn;

import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.ops.Add;
import org.diffusion4j.ops.Dropout;
import org.diffusion4j.ops.Silu;

/**
 * The DDPM residual block: h = conv1(SiLU(GN(x))) + W·SiLU(emb) (per sample, per channel),
 * out = skip(x) + conv2(dropout(SiLU(GN(h)))), skip a 1×1 convolution when the channel count
 * changes. conv2 starts at zero, so a fresh block is the identity on its skip path. With no
 * embedding (embDim 0: the autoencoder's blocks) the W·SiLU(emb) term is absent.
 */
public final class ResBlock extends Module {
    private final NormLayer norm1;
    private final ConvLayer conv1;
    private final DenseLayer embProj;
    private final NormLayer norm2;
    private final ConvLayer conv2;
    private final ConvLayer skip;
    private final float dropout;

    /** Per context: the block's buffers, its inputs and the dropout mask of the last forward. */
    private static final class S extends State {
        Tensor input;
        Tensor emb;
        Dropout.Mask mask;

        S(Context ctx) {
            super(ctx);
        }
    }

    public ResBlock(Context ctx, String name, int cin, int cout, int embDim, int groups, float dropout) {
        super(ctx, name);
        norm1 = child(new NormLayer(ctx, name + ".norm1", cin, groups, true));
        conv1 = child(new ConvLayer(ctx, name + ".conv1", cin, cout, 3, 1, 1, false));
        if (embDim < 0) {
            throw new IllegalArgumentException(name + ": embedding dimension " + embDim + " must be >= 0");
        }
        embProj = embDim == 0 ? null : child(new DenseLayer(ctx, name + ".emb", embDim, cout, true));
        norm2 = child(new NormLayer(ctx, name + ".norm2", cout, groups, true));
        conv2 = child(new ConvLayer(ctx, name + ".conv2", cout, cout, 3, 1, 1, true));
        skip = cin == cout ? null : child(new ConvLayer(ctx, name + ".skip", cin, cout, 1, 1, 0, false));
        this.dropout = dropout;
    }

    @Override
    protected State newState(Context ctx) {
        return new S(ctx);
    }

    /**
     * The block on {@code ctx}, dropout (drawn from ctx's random stream) only when {@code train};
     * embedding null exactly when the block has none.
     */
    public Tensor forward(Context ctx, Tensor x, Tensor embedding, boolean train) {
        if ((embedding == null) != (embProj == null)) {
            throw new IllegalArgumentException(name() + (embProj == null ? " takes no embedding" : " needs its embedding"));
        }
        S s = state(ctx);
        s.input = x;
        s.emb = embedding;
        Tensor h = conv1.forward(ctx, norm1.forward(ctx, x));
        if (embProj != null) {
            Tensor e = s.buffer("silu_emb", embedding.shape());
            Silu.forward(ctx, e, embedding);
            Add.perSample(ctx, h, h, embProj.forward(ctx, e)); // in place: conv1's backward needs its input, not its output
        }
        Tensor g = norm2.forward(ctx, h);
        s.mask = null;
        if (train && dropout > 0) {
            Tensor d = s.buffer("dropped", g.shape());
            s.mask = Dropout.forward(ctx, d, g, dropout);
            g = d;
        }
        return conv2.forward(ctx, g, skip == null ? x : skip.forward(ctx, x)); // the residual sum fused into conv2
    }

    /** Returns ∂L/∂x and adds ∂L/∂emb into {@code dEmb} (null without an embedding), from ctx's last forward. */
    public Tensor backward(Context ctx, Tensor dOut, Tensor dEmb) {
        S s = state(ctx);
        saved(s.input); // refuses a context with no forward pass
        Tensor dg = conv2.backward(ctx, dOut);
        if (s.mask != null) {
            Tensor d = s.buffer("d_dropped", dg.shape());
            Dropout.backward(ctx, d, dg, dropout, s.mask);
            dg = d;
        }
        Tensor dh = norm2.backward(ctx, dg);
        if (embProj != null) {
            Tensor dProj = s.buffer("d_proj", s.emb.dim(0), dh.dim(dh.ndim() - 1));
            Add.perSampleBackward(ctx, dProj, dh);
            Tensor dE = s.buffer("d_emb", s.emb.shape());
            Silu.backward(ctx, dE, embProj.backward(ctx, dProj), s.emb);
            Add.forward(ctx, dEmb, dEmb, dE);
        }
        Tensor dSkip = skip == null ? dOut : skip.backward(ctx, dOut);
        return norm1.backward(ctx, conv1.backward(ctx, dh), dSkip); // the two paths' sum fused into norm1's
    }
}
