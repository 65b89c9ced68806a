package org.diffusion4j.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.diffusion4j.Context;
import org.diffusion4j.Seeds;
import org.diffusion4j.Tensor;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.ops.Concat;
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
    private final UNetEncoder encoder;
    private final List<Module> up = new ArrayList<>();
    private final NormLayer normOut;
    private final ConvLayer convOut;

    private final AtomicReference<Thread> inBackward = new AtomicReference<>();

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
            encoder = child(new UNetEncoder(ctx, config, true, true));
            int base = config.baseChannels();
            int e = config.embDim();
            int[] mult = config.multipliers();
            List<Integer> skipChannels = new ArrayList<>(encoder.skipChannels());
            int ch = encoder.outChannels();
            int res = config.imageSize() >> (mult.length - 1);
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
        } finally {
            ctx.setRng(savedSeed, savedOffset);
        }
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
     * The conditional and unconditional outputs of a classifier-free-guided step as one forward
     * pass of batch 2N: x_t stacked twice into a 2N buffer kept on ctx's state (reused across
     * steps, freed with it), t twice, the labels then the null class ({@code config.classes()},
     * what {@code labels == null} selects), and the two halves of the output copied out. Every
     * op of the network works per sample, so each half equals the matching N-batch prediction
     * (UNetGuidedTest checks it to the bit). An unconditional model (no class embedding) takes
     * the interface's two passes.
     */
    @Override
    public void predictGuided(Context ctx, Tensor outCond, Tensor outUncond, Tensor xT, int[] t, int[] labels) {
        Objects.requireNonNull(xT, "xT");
        Objects.requireNonNull(t, "t");
        if (config.classes() == 0 || labels == null) {
            Denoiser.super.predictGuided(ctx, outCond, outUncond, xT, t, labels);
            return;
        }
        int n = xT.dim(0);
        if (t.length != n || labels.length != n) {
            throw new IllegalArgumentException("predictGuided: t has " + t.length + " and labels " + labels.length
                    + " entries; the batch x_t is " + n);
        }
        Objects.requireNonNull(outCond, "outCond");
        Objects.requireNonNull(outUncond, "outUncond");
        if (outCond.dim(0) != n || outUncond.dim(0) != n) { // before the 2N pass, not after it
            throw new IllegalArgumentException("predictGuided: outCond has " + outCond.dim(0) + " and outUncond "
                    + outUncond.dim(0) + " samples; the batch x_t is " + n);
        }
        int[] shape = xT.shape();
        shape[0] = 2 * n;
        Tensor x2 = state(ctx).buffer("guided.x", shape);
        x2.copySamples(0, xT, 0, n).copySamples(n, xT, 0, n);
        int[] t2 = new int[2 * n];
        int[] labels2 = new int[2 * n];
        System.arraycopy(t, 0, t2, 0, n);
        System.arraycopy(t, 0, t2, n, n);
        System.arraycopy(labels, 0, labels2, 0, n);
        Arrays.fill(labels2, n, 2 * n, config.classes());
        Tensor out = forward(ctx, x2, t2, labels2, false);
        outCond.copySamples(0, out, 0, n);
        outUncond.copySamples(0, out, n, n);
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
        State s = state(ctx);
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(t, "t");
        int n = x.dim(0);
        if (t.length != n || (labels != null && labels.length != n)) {
            throw new IllegalArgumentException("t and labels must have one entry per sample (" + n + ")");
        }
        Tensor h = encoder.forward(ctx, x, t, labels, train);
        Tensor emb = encoder.embedding(ctx);
        List<Tensor> skips = encoder.skips(ctx);
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
        Objects.requireNonNull(dOut, "dOut");
        encoder.embedding(ctx); // refuses a context with no forward pass
        Thread self = Thread.currentThread();
        Thread other = inBackward.compareAndExchange(null, self);
        if (other != null) {
            throw new IllegalStateException("unet.backward: " + other.getName() + " is back-propagating already; the "
                    + "gradients are shared, so backward passes on different contexts must not overlap");
        }
        try {
            backward(ctx, state(ctx), dOut);
        } finally {
            inBackward.set(null);
        }
    }

    private void backward(Context ctx, State s, Tensor dOut) {
        List<Tensor> skips = encoder.skips(ctx);
        Tensor dEmb = encoder.beginBackward(ctx);
        Tensor dh = normOut.backward(ctx, convOut.backward(ctx, dOut));
        // the j-th up-path residual block consumed skip (last − j)
        int resIndex = 0;
        for (Module m : up) {
            if (m instanceof ResBlock) {
                resIndex++;
            }
        }
        for (int i = up.size() - 1; i >= 0; i--) {
            Module m = up.get(i);
            if (m instanceof ResBlock r) {
                resIndex--;
                Tensor dCat = r.backward(ctx, dh, dEmb);
                int k = skips.size() - 1 - resIndex;
                Tensor skip = skips.get(k);
                Tensor dH = s.buffer("d_cat_h." + r.name(), dCat.dim(0), dCat.dim(1), dCat.dim(2), dCat.dim(3) - skip.dim(3));
                Concat.backward(ctx, dH, encoder.skipGradient(ctx, k), dCat);
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
        encoder.backward(ctx, dh, false);
    }
}
