package org.diffusion4j.nn;

import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.ops.Add;
import org.diffusion4j.ops.Silu;
import org.diffusion4j.ops.TimestepEmbedding;

/**
 * The U-Net's first half, shared by {@link UNet} and {@link NoisyClassifier} (guided-diffusion's
 * EncoderUNetModel is the same trunk): the sinusoidal time embedding through a two-layer MLP
 * (plus, optionally, a class embedding with a null class), an input convolution, per level
 * residual blocks (attention at the configured resolutions) and a strided convolution down, and
 * the middle of residual, attention, residual. Its children carry the U-Net's own parameter
 * names, so a U-Net's checkpoints do not see it. With {@code keepSkips} the forward pass keeps
 * the skip connections for the up path, and the backward pass adds their gradients back in.
 */
final class UNetEncoder extends Module {
    private final UNetConfig config;
    private final DenseLayer time1;
    private final DenseLayer time2;
    private final DenseLayer classEmb;
    private final ConvLayer convIn;
    private final List<Module> down = new ArrayList<>();
    private final ResBlock mid1;
    private final AttnBlock midAttn;
    private final ResBlock mid2;
    private final boolean keepSkips;
    private final boolean[] leavesSkip; // per down module: does its output become a skip connection?
    private final List<Integer> skipChannels = new ArrayList<>();
    private final int outChannels;

    /** Per context: the embedding, the skips and what the backward pass retraces, of the last forward. */
    private static final class S extends State {
        Tensor emb;
        Tensor timeHidden;
        Tensor tembSilu;
        final List<Tensor> skips = new ArrayList<>();
        Tensor dEmb;
        final List<Tensor> skipGrads = new ArrayList<>();

        S(Context ctx) {
            super(ctx);
        }
    }

    /** The trunk of config, built on ctx's current random stream; a class embedding only when {@code classEmbedding}. */
    UNetEncoder(Context ctx, UNetConfig config, boolean classEmbedding, boolean keepSkips) {
        super(ctx, "unet.encoder");
        this.config = config;
        this.keepSkips = keepSkips;
        int base = config.baseChannels();
        int e = config.embDim();
        time1 = child(new DenseLayer(ctx, "time.1", base, e, true));
        time2 = child(new DenseLayer(ctx, "time.2", e, e, true));
        classEmb = classEmbedding && config.classes() > 0
                ? child(new DenseLayer(ctx, "class", config.classes() + 1, e, false)) : null;
        convIn = child(new ConvLayer(ctx, "in", config.channels(), base, 3, 1, 1, false));
        int[] mult = config.multipliers();
        skipChannels.add(base);
        int ch = base;
        int res = config.imageSize();
        for (int level = 0; level < mult.length; level++) {
            for (int r = 0; r < config.resBlocks(); r++) {
                int out = base * mult[level];
                down.add(child(new ResBlock(ctx, "down." + level + ".res" + r, ch, out, e, config.groups(), config.dropout())));
                ch = out;
                if (config.attentionAt(res)) {
                    down.add(child(new AttnBlock(ctx, "down." + level + ".attn" + r, ch, config.heads(), config.groups())));
                }
                skipChannels.add(ch);
            }
            if (level + 1 < mult.length) {
                down.add(child(new ConvLayer(ctx, "down." + level + ".downsample", ch, ch, 3, 2, 1, false)));
                skipChannels.add(ch);
                res /= 2;
            }
        }
        mid1 = child(new ResBlock(ctx, "mid.res1", ch, ch, e, config.groups(), config.dropout()));
        midAttn = child(new AttnBlock(ctx, "mid.attn", ch, config.heads(), config.groups()));
        mid2 = child(new ResBlock(ctx, "mid.res2", ch, ch, e, config.groups(), config.dropout()));
        outChannels = ch;
        leavesSkip = new boolean[down.size()];
        for (int i = 0; i < down.size(); i++) {
            // every residual block (after its attention) and every downsample
            leavesSkip[i] = down.get(i) instanceof ConvLayer || !(i + 1 < down.size() && down.get(i + 1) instanceof AttnBlock);
        }
    }

    @Override
    protected State newState(Context ctx) {
        return new S(ctx);
    }

    /** The channels of each skip connection, first (the input convolution's) to last. */
    List<Integer> skipChannels() {
        return List.copyOf(skipChannels);
    }

    /** The channels of the middle block's output. */
    int outChannels() {
        return outChannels;
    }

    /**
     * The middle block's output for x at timesteps t (labels as {@link UNet#forward}); keeps the
     * embedding and (with keepSkips) the skips on ctx's state.
     */
    Tensor forward(Context ctx, Tensor x, int[] t, int[] labels, boolean train) {
        S s = state(ctx);
        int n = x.dim(0);
        s.skips.clear();
        Tensor temb = s.buffer("temb", n, config.baseChannels());
        TimestepEmbedding.forward(ctx, temb, t, TimestepEmbedding.DEFAULT_MAX_PERIOD);
        s.timeHidden = time1.forward(ctx, temb);
        s.tembSilu = s.buffer("temb_silu", s.timeHidden.shape());
        Silu.forward(ctx, s.tembSilu, s.timeHidden);
        Tensor emb = s.buffer("emb", n, config.embDim());
        s.emb = emb;
        emb.copyFrom(time2.forward(ctx, s.tembSilu));
        if (classEmb != null) {
            float[] onehot = new float[n * (config.classes() + 1)];
            for (int i = 0; i < n; i++) {
                int y = labels == null ? config.classes() : labels[i];
                if (y < 0 || y > config.classes()) {
                    throw new IllegalArgumentException("labels[" + i + "] is " + y + "; classes are 0.." + config.classes()
                            + " (" + config.classes() + " = null)");
                }
                onehot[i * (config.classes() + 1) + y] = 1f;
            }
            Tensor oh = s.buffer("onehot", n, config.classes() + 1);
            oh.copyFrom(onehot);
            Add.forward(ctx, emb, emb, classEmb.forward(ctx, oh));
        }
        Tensor h = convIn.forward(ctx, x);
        keep(s, h);
        for (int i = 0; i < down.size(); i++) {
            Module m = down.get(i);
            if (m instanceof ResBlock r) {
                h = r.forward(ctx, h, emb, train);
            } else if (m instanceof AttnBlock a) {
                h = a.forward(ctx, h);
            } else {
                h = ((ConvLayer) m).forward(ctx, h);
            }
            if (leavesSkip[i]) {
                keep(s, h);
            }
        }
        return mid2.forward(ctx, midAttn.forward(ctx, mid1.forward(ctx, h, emb, train)), emb, train);
    }

    private void keep(S s, Tensor h) {
        if (keepSkips) {
            s.skips.add(h);
        }
    }

    /** The embedding of ctx's last forward. */
    Tensor embedding(Context ctx) {
        S s = state(ctx);
        return saved(s.emb);
    }

    /** The skips of ctx's last forward, first to last (empty without keepSkips). */
    List<Tensor> skips(Context ctx) {
        S s = state(ctx);
        saved(s.emb);
        return s.skips;
    }

    /**
     * Starts a backward pass on ctx: zeroes and returns ∂L/∂emb, into which the decoder's blocks
     * add before {@link #backward} runs.
     */
    Tensor beginBackward(Context ctx) {
        S s = state(ctx);
        saved(s.emb);
        s.dEmb = s.buffer("d_emb", s.emb.shape()).fill(0f);
        s.skipGrads.clear();
        for (int k = 0; k < s.skips.size(); k++) {
            s.skipGrads.add(null);
        }
        return s.dEmb;
    }

    /**
     * The buffer for ∂L/∂skip k of the pass {@link #beginBackward} started, which the decoder
     * overwrites: each skip has exactly one consumer there (U-Net's up path pops every skip
     * once), so the gradient is written once, not zeroed and added into.
     *
     * @throws IllegalStateException when skip k's buffer was handed out already in this pass
     */
    Tensor skipGradient(Context ctx, int k) {
        S s = state(ctx);
        if (s.skipGrads.get(k) != null) {
            throw new IllegalStateException(name() + ": skip " + k + " has one consumer; its gradient was asked for twice");
        }
        Tensor g = s.buffer("d_skip." + k, s.skips.get(k).shape());
        s.skipGrads.set(k, g);
        return g;
    }

    /** The gradient of skip k written since {@link #beginBackward}. */
    private Tensor writtenSkipGradient(S s, int k) {
        Tensor g = s.skipGrads.get(k);
        if (g == null) {
            throw new IllegalStateException(name() + ": the gradient of skip " + k + " was not written before backward");
        }
        return g;
    }

    /**
     * Back-propagates ∂L/∂(middle output) through the trunk, with the skip and embedding
     * gradients gathered since {@link #beginBackward}; adds every (unfrozen) parameter's
     * gradient and returns ∂L/∂x (owned by the input convolution's state on ctx), or null
     * without {@code inputGradient} (a denoiser's training needs no gradient of its input: the
     * input convolution then skips its data half).
     */
    Tensor backward(Context ctx, Tensor dMid, boolean inputGradient) {
        S s = state(ctx);
        Tensor dEmb = saved(s.dEmb);
        Tensor dh = mid1.backward(ctx, midAttn.backward(ctx, mid2.backward(ctx, dMid, dEmb)), dEmb);
        int k = s.skips.size() - 1;
        for (int i = down.size() - 1; i >= 0; i--) {
            Module m = down.get(i);
            if (keepSkips && leavesSkip[i]) {
                Tensor sum = s.buffer("d_sum." + k, dh.shape());
                Add.forward(ctx, sum, dh, writtenSkipGradient(s, k--));
                dh = sum;
            }
            if (m instanceof ResBlock r) {
                dh = r.backward(ctx, dh, dEmb);
            } else if (m instanceof AttnBlock a) {
                dh = a.backward(ctx, dh);
            } else {
                dh = ((ConvLayer) m).backward(ctx, dh);
            }
        }
        if (keepSkips) {
            Tensor dIn = s.buffer("d_sum.0", dh.shape());
            Add.forward(ctx, dIn, dh, writtenSkipGradient(s, 0));
            dh = dIn;
        }
        Tensor dx = null;
        if (inputGradient) {
            dx = convIn.backward(ctx, dh);
        } else {
            convIn.backwardWeights(ctx, dh);
        }
        if (classEmb != null) {
            classEmb.backward(ctx, dEmb);
        }
        Tensor dHidden = s.buffer("d_temb_hidden", s.tembSilu.shape());
        Silu.backward(ctx, dHidden, time2.backward(ctx, dEmb), s.timeHidden);
        time1.backward(ctx, dHidden);
        return dx;
    }
}
