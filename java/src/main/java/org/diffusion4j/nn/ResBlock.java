package org.diffusion4j.nn;

import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.ops.Add;
import org.diffusion4j.ops.Dropout;
import org.diffusion4j.ops.Silu;

/**
 * The DDPM residual block: h = conv1(SiLU(GN(x))) + W·SiLU(emb) (per sample, per channel),
 * out = skip(x) + conv2(dropout(SiLU(GN(h)))), skip a 1×1 convolution when the channel count
 * changes. conv2 starts at zero, so a fresh block is the identity on its skip path.
 */
public final class ResBlock extends Module {
    private final NormLayer norm1;
    private final ConvLayer conv1;
    private final DenseLayer embProj;
    private final NormLayer norm2;
    private final ConvLayer conv2;
    private final ConvLayer skip;
    private final float dropout;
    private Tensor input;
    private Tensor emb;
    private Dropout.Mask mask;

    public ResBlock(Context ctx, String name, int cin, int cout, int embDim, int groups, float dropout) {
        super(ctx, name);
        norm1 = child(new NormLayer(ctx, name + ".norm1", cin, groups, true));
        conv1 = child(new ConvLayer(ctx, name + ".conv1", cin, cout, 3, 1, 1, false));
        embProj = child(new DenseLayer(ctx, name + ".emb", embDim, cout, true));
        norm2 = child(new NormLayer(ctx, name + ".norm2", cout, groups, true));
        conv2 = child(new ConvLayer(ctx, name + ".conv2", cout, cout, 3, 1, 1, true));
        skip = cin == cout ? null : child(new ConvLayer(ctx, name + ".skip", cin, cout, 1, 1, 0, false));
        this.dropout = dropout;
    }

    public Tensor forward(Tensor x, Tensor embedding, boolean train) {
        input = x;
        emb = embedding;
        Tensor h = conv1.forward(norm1.forward(x));
        Tensor e = buffer("silu_emb", embedding.shape());
        Silu.forward(ctx, e, embedding);
        Add.perSample(ctx, h, h, embProj.forward(e)); // in place: conv1's backward needs its input, not its output
        Tensor g = norm2.forward(h);
        mask = null;
        if (train && dropout > 0) {
            Tensor d = buffer("dropped", g.shape());
            mask = Dropout.forward(ctx, d, g, dropout);
            g = d;
        }
        Tensor out = buffer("out", conv2.shape(g));
        Tensor main = conv2.forward(g);
        Add.forward(ctx, out, main, skip == null ? x : skip.forward(x));
        return out;
    }

    /** Returns ∂L/∂x and adds ∂L/∂emb into {@code dEmb}. */
    public Tensor backward(Tensor dOut, Tensor dEmb) {
        Tensor dg = conv2.backward(dOut);
        if (mask != null) {
            Tensor d = buffer("d_dropped", dg.shape());
            Dropout.backward(ctx, d, dg, dropout, mask);
            dg = d;
        }
        Tensor dh = norm2.backward(dg);
        Tensor dProj = buffer("d_proj", emb.dim(0), dh.dim(dh.ndim() - 1));
        Add.perSampleBackward(ctx, dProj, dh);
        Tensor dE = buffer("d_emb", emb.shape());
        Silu.backward(ctx, dE, embProj.backward(dProj), emb);
        Add.forward(ctx, dEmb, dEmb, dE);
        Tensor dxMain = norm1.backward(conv1.backward(dh));
        Tensor dx = buffer("dx", input.shape());
        Add.forward(ctx, dx, dxMain, skip == null ? dOut : skip.backward(dOut));
        return dx;
    }
}
