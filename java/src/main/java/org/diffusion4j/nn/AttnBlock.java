package org.diffusion4j.nn;

import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.ops.Add;
import org.diffusion4j.ops.Attention;

/**
 * Self-attention over a feature map's pixels with a residual connection:
 * out = x + proj(attention(qkv(GN(x)))), proj starting at zero.
 */
public final class AttnBlock extends Module {
    private final NormLayer norm;
    private final DenseLayer qkv;
    private final DenseLayer proj;
    private final int heads;

    /** Per context: attention output, log-sum-exp rows, gradients and the qkv projection of the last forward. */
    private static final class S extends State {
        Tensor qkvOut;

        S(Context ctx) {
            super(ctx);
        }
    }

    public AttnBlock(Context ctx, String name, int channels, int heads, int groups) {
        super(ctx, name);
        if (channels % heads != 0) {
            throw new IllegalArgumentException(name + ": " + channels + " channels do not split into " + heads + " heads");
        }
        this.heads = heads;
        norm = child(new NormLayer(ctx, name + ".norm", channels, groups, false));
        qkv = child(new DenseLayer(ctx, name + ".qkv", channels, 3 * channels, true));
        proj = child(new DenseLayer(ctx, name + ".proj", channels, channels, true));
        proj.weight.value().fill(0f);
        proj.bias.value().fill(0f);
    }

    @Override
    protected State newState(Context ctx) {
        return new S(ctx);
    }

    public Tensor forward(Context ctx, Tensor x) {
        S s = state(ctx);
        s.qkvOut = qkv.forward(ctx, norm.forward(ctx, x));
        Tensor a = s.buffer("attn", x.shape());
        Attention.forward(ctx, a, s.buffer("lse", x.dim(0), heads, x.dim(1) * x.dim(2)), s.qkvOut, heads);
        Tensor out = s.buffer("out", x.shape());
        Add.forward(ctx, out, x, proj.forward(ctx, a));
        return out;
    }

    public Tensor backward(Context ctx, Tensor dOut) {
        S s = state(ctx);
        Tensor qkvOut = saved(s.qkvOut);
        Tensor a = s.buffer("attn", dOut.shape());
        Tensor dQkv = s.buffer("d_qkv", qkvOut.shape());
        Attention.backward(ctx, dQkv, proj.backward(ctx, dOut), qkvOut, a,
                s.buffer("lse", dOut.dim(0), heads, dOut.dim(1) * dOut.dim(2)), heads);
        return norm.backward(ctx, qkv.backward(ctx, dQkv), dOut); // the residual's gradient sum fused into norm's
    }
}
