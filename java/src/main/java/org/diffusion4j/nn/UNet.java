package org.diffusion4j.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.diffusion4j.Context;
import org.diffusion4j.Seeds;
import org.diffusion4j.Tensor;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.ops.Add;
import org.diffusion4j.ops.Concat;
import org.diffusion4j.ops.Silu;
import org.diffusion4j.ops.TimestepEmbedding;
import org.diffusion4j.ops.Upsample;

/**
 * The DDPM U-Net predicting ε(x_t, t, y) over NHWC images: a sinusoidal time embedding through a
 * two-layer MLP, plus a class embedding (a row per class and one for the null class); an input
 * convolution; per level residual blocks (attention at the configured resolutions) and a strided
 * convolution down; a middle of residual, attention, residual; per level back up, residual blocks
 * over the channel-concatenated skip connections, nearest upsampling and a convolution; GroupNorm,
 * SiLU and a zero-initialised output convolution. Forward and backward are explicit; backward
 * accumulates into every parameter's gradient.
 */
public final class UNet extends Module implements Denoiser {
    private final UNetConfig config;
    private final DenseLayer time1;
    private final DenseLayer time2;
    private final DenseLayer classEmb;
    private final ConvLayer convIn;
    private final List<Module> down = new ArrayList<>();
    private final List<Module> up = new ArrayList<>();
    private final ResBlock mid1;
    private final AttnBlock midAttn;
    private final ResBlock mid2;
    private final NormLayer normOut;
    private final ConvLayer convOut;

    private final boolean[] leavesSkip; // per down module: does its output become a skip connection?
    private final AtomicReference<Thread> inBackward = new AtomicReference<>();

    /** Per context: the embedding, the skips and what the backward pass retraces, of the last forward. */
    private static final class S extends State {
        Tensor emb;
        Tensor timeHidden;
        Tensor tembSilu;
        final List<Tensor> skips = new ArrayList<>();

        S(Context ctx) {
            super(ctx);
        }
    }

    /** A U-Net whose initial weights derive from the context's seed (see {@link #UNet(Context, UNetConfig, long)}). */
    public UNet(Context ctx, UNetConfig config) {
        this(ctx, config, Objects.requireNonNull(ctx, "ctx").seed());
    }

    /**
     * A U-Net with PyTorch's default initialisation drawn from the Philox key
     * {@link Seeds.Purpose#WEIGHT_INIT} of {@code seed}: the same seed gives the same weights, and
     * the context's own RNG stream is left where it was.
     */
    public UNet(Context ctx, UNetConfig config, long seed) {
        super(ctx, "unet");
        long savedSeed = ctx.seed();
        long savedOffset = ctx.rngOffset();
        ctx.setRng(Seeds.derive(seed, Seeds.Purpose.WEIGHT_INIT), 0);
        try {
            this.config = Objects.requireNonNull(config, "config");
            int base = config.baseChannels();
            int e = config.embDim();
            time1 = child(new DenseLayer(ctx, "time.1", base, e, true));
            time2 = child(new DenseLayer(ctx, "time.2", e, e, true));
            classEmb = config.classes() > 0 ? child(new DenseLayer(ctx, "class", config.classes() + 1, e, false)) : null;
            convIn = child(new ConvLayer(ctx, "in", config.channels(), base, 3, 1, 1, false));
            int[] mult = config.multipliers();
            List<Integer> skipChannels = new ArrayList<>();
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
            for (int level = mult.length - 1; level >= 0; level--) {
                for (int r = 0; r <= config.resBlocks(); r++) {
                    int out = base * mult[level];
                    int skipCh = skipChannels.remove(skipChannels.size() - 1);
                    up.add(child(new ResBlock(ctx, "up." + level + ".res" + r, ch + skipCh, out, e, config.groups(),
                            config.dropout())));
                    ch = out;
                    if (config.attentionAt(res)) {
                        up.add(child(new AttnBlock(ctx, "up." + level + ".attn" + r, ch, config.heads(), config.groups())));
                    }
                }
                if (level > 0) {
                    up.add(child(new ConvLayer(ctx, "up." + level + ".upsample", ch, ch, 3, 1, 1, false)));
                    res *= 2;
                }
            }
            normOut = child(new NormLayer(ctx, "out.norm", ch, config.groups(), true));
            convOut = child(new ConvLayer(ctx, "out.conv", ch, config.outChannels(), 3, 1, 1, true));
            leavesSkip = new boolean[down.size()];
            for (int i = 0; i < down.size(); i++) {
                // every residual block (after its attention) and every downsample
                leavesSkip[i] = down.get(i) instanceof ConvLayer || !(i + 1 < down.size() && down.get(i + 1) instanceof AttnBlock);
            }
        } finally {
            ctx.setRng(savedSeed, savedOffset);
        }
    }

    @Override
    protected State newState(Context ctx) {
        return new S(ctx);
    }

    public UNetConfig config() {
        return config;
    }

    /**
     * ε(x_t, t, y) for sampling (dropout off), computed on {@code ctx} with ctx's state: threads
     * that each own a context can share one model.
     */
    @Override
    public void predict(Context ctx, Tensor eps, Tensor xT, int[] t, int[] labels) {
        eps.copyFrom(forward(ctx, xT, t, labels, false));
    }

    /**
     * The predicted noise for x (N, S, S, C) at timesteps t, computed on {@code ctx}; labels null
     * (or entries equal to the class count) select the null class; {@code train} turns dropout
     * on (its mask drawn from ctx's random stream). The result and what {@link #backward} needs
     * are kept in the model's state on ctx: valid until the next forward on ctx.
     *
     * @throws IllegalArgumentException when ctx is on another device than the weights
     */
    public Tensor forward(Context ctx, Tensor x, int[] t, int[] labels, boolean train) {
        S s = state(ctx);
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(t, "t");
        int n = x.dim(0);
        if (t.length != n || (labels != null && labels.length != n)) {
            throw new IllegalArgumentException("t and labels must have one entry per sample (" + n + ")");
        }
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
        List<Tensor> skips = s.skips;
        Tensor h = convIn.forward(ctx, x);
        skips.add(h);
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
                skips.add(h);
            }
        }
        h = mid2.forward(ctx, midAttn.forward(ctx, mid1.forward(ctx, h, emb, train)), emb, train);
        int k = skips.size();
        for (Module m : up) {
            if (m instanceof ResBlock r) {
                Tensor skip = skips.get(--k);
                Tensor cat = s.buffer("cat." + r.name(), h.dim(0), h.dim(1), h.dim(2), h.dim(3) + skip.dim(3));
                Concat.forward(ctx, cat, h, skip);
                h = r.forward(ctx, cat, emb, train);
            } else if (m instanceof AttnBlock a) {
                h = a.forward(ctx, h);
            } else {
                ConvLayer c = (ConvLayer) m;
                Tensor upsampled = s.buffer("upsampled." + c.name(), h.dim(0), 2 * h.dim(1), 2 * h.dim(2), h.dim(3));
                Upsample.forward(ctx, upsampled, h);
                h = c.forward(ctx, upsampled);
            }
        }
        return convOut.forward(ctx, normOut.forward(ctx, h));
    }

    /**
     * Back-propagates ∂L/∂output (the shape of ctx's last forward result) through the network
     * with the state ctx's last {@link #forward} saved, adding every parameter's gradient. The
     * gradients belong to the context that built the model: a backward pass on another context
     * is refused, and so is an overlapping call.
     *
     * @throws IllegalStateException when ctx ran no forward pass, or another thread is in backward
     */
    public void backward(Context ctx, Tensor dOut) {
        S s = state(ctx);
        saved(s.emb);
        Objects.requireNonNull(dOut, "dOut");
        Thread self = Thread.currentThread();
        Thread other = inBackward.compareAndExchange(null, self);
        if (other != null) {
            throw new IllegalStateException("unet.backward: " + other.getName() + " is back-propagating already; the "
                    + "gradients are shared, so backward passes on different contexts must not overlap");
        }
        try {
            backward(ctx, s, dOut);
        } finally {
            inBackward.set(null);
        }
    }

    private void backward(Context ctx, S s, Tensor dOut) {
        List<Tensor> skips = s.skips;
        Tensor dEmb = s.buffer("d_emb", s.emb.shape()).fill(0f);
        Tensor dh = normOut.backward(ctx, convOut.backward(ctx, dOut));
        List<Tensor> skipGrads = new ArrayList<>();
        for (int k = 0; k < skips.size(); k++) {
            skipGrads.add(s.buffer("d_skip." + k, skips.get(k).shape()).fill(0f));
        }
        // the j-th up-path residual block consumed skip (last − j)
        List<Integer> consumed = new ArrayList<>();
        for (int k = skips.size() - 1; k >= 0; k--) {
            consumed.add(k);
        }
        int resIndex = countResBlocks(up);
        for (int i = up.size() - 1; i >= 0; i--) {
            Module m = up.get(i);
            if (m instanceof ResBlock r) {
                resIndex--;
                Tensor dCat = r.backward(ctx, dh, dEmb);
                int k = consumed.get(resIndex);
                Tensor skip = skips.get(k);
                Tensor dH = s.buffer("d_cat_h." + r.name(), dCat.dim(0), dCat.dim(1), dCat.dim(2), dCat.dim(3) - skip.dim(3));
                Tensor dSkip = s.buffer("d_cat_skip." + r.name(), skip.shape());
                Concat.backward(ctx, dH, dSkip, dCat);
                Add.forward(ctx, skipGrads.get(k), skipGrads.get(k), dSkip);
                dh = dH;
            } else if (m instanceof AttnBlock a) {
                dh = a.backward(ctx, dh);
            } else {
                ConvLayer c = (ConvLayer) m;
                Tensor dUp = c.backward(ctx, dh);
                Tensor d = s.buffer("d_upsampled." + c.name(), dUp.dim(0), dUp.dim(1) / 2, dUp.dim(2) / 2, dUp.dim(3));
                Upsample.backward(ctx, d, dUp);
                dh = d;
            }
        }
        dh = mid1.backward(ctx, midAttn.backward(ctx, mid2.backward(ctx, dh, dEmb)), dEmb);
        int k = skips.size() - 1;
        for (int i = down.size() - 1; i >= 0; i--) {
            Module m = down.get(i);
            if (leavesSkip[i]) {
                Tensor sum = s.buffer("d_sum." + k, dh.shape());
                Add.forward(ctx, sum, dh, skipGrads.get(k--));
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
        Tensor dIn = s.buffer("d_sum.0", dh.shape());
        Add.forward(ctx, dIn, dh, skipGrads.get(0));
        convIn.backward(ctx, dIn);
        if (classEmb != null) {
            classEmb.backward(ctx, dEmb);
        }
        Tensor dHidden = s.buffer("d_temb_hidden", s.tembSilu.shape());
        Silu.backward(ctx, dHidden, time2.backward(ctx, dEmb), s.timeHidden);
        time1.backward(ctx, dHidden);
    }

    private static int countResBlocks(List<Module> modules) {
        int n = 0;
        for (Module m : modules) {
            if (m instanceof ResBlock) {
                n++;
            }
        }
        return n;
    }
}
