package org.diffusion4j.nn;

import java.util.Arrays;
import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Seeds;
import org.diffusion4j.Tensor;
import org.diffusion4j.ops.Axpby;
import org.diffusion4j.ops.GlobalAvgPool;
import org.diffusion4j.ops.SoftmaxCrossEntropy;

/**
 * A noise-conditional classifier p_φ(y | x_t, t) for classifier guidance (Dhariwal &amp; Nichol
 * 2021 §4; guided-diffusion's EncoderUNetModel with adaptive pooling): the U-Net's time
 * embedding and downsampling half through its middle block ({@link UNetEncoder}, no class
 * embedding), then GroupNorm and SiLU, global average pooling and a zero-initialised linear
 * head to the logits (N, K), K = {@link UNetConfig#classes}. Images are NHWC in [−1, 1].
 *
 * <p>{@link #inputGradient} is what guidance needs: ∇_{x_t} log p_φ(y | x_t, t) for a whole batch
 * in one forward and backward pass. {@link #setFrozen freeze} a classifier that only guides, so
 * that pass writes no parameter gradient (and may run on several contexts at once).
 */
public final class NoisyClassifier extends Module {
    private final UNetConfig config;
    private final UNetEncoder encoder;
    private final NormLayer normOut;
    private final DenseLayer head;

    /** Per context: the pooled input of the last forward, and the scratch of the input gradient. */
    private static final class S extends State {
        Tensor map;

        S(Context ctx) {
            super(ctx);
        }
    }

    /**
     * A classifier over {@code config} (its {@code classes} the K classes predicted, at least 2;
     * learnVariance must be false), with PyTorch's default initialisation drawn from the Philox key
     * {@link Seeds.Purpose#WEIGHT_INIT} of {@code seed}; the context's own stream is left where it was.
     *
     * @throws IllegalArgumentException when config has fewer than 2 classes or learns a variance
     */
    public NoisyClassifier(Context ctx, UNetConfig config, long seed) {
        super(ctx, "classifier");
        this.config = Objects.requireNonNull(config, "config");
        if (config.classes() < 2) {
            throw new IllegalArgumentException("a noise-conditional classifier needs at least 2 classes; the config has "
                    + config.classes());
        }
        if (config.learnVariance()) {
            throw new IllegalArgumentException("a noise-conditional classifier has no variance output; its config must "
                    + "have learnVariance false");
        }
        long savedSeed = ctx.seed();
        long savedOffset = ctx.rngOffset();
        ctx.setRng(Seeds.derive(seed, Seeds.Purpose.WEIGHT_INIT), 0);
        try {
            encoder = child(new UNetEncoder(ctx, config, false, false));
            int ch = encoder.outChannels();
            normOut = child(new NormLayer(ctx, "out.norm", ch, config.groups(), true));
            head = child(new DenseLayer(ctx, "out.head", ch, config.classes(), true));
            head.weight.value().fill(0f); // guided-diffusion zero-initialises the output layer
            head.bias.value().fill(0f);
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

    /** K, the number of classes. */
    public int classes() {
        return config.classes();
    }

    /**
     * The logits (N, K) of x_t (N, S, S, C) at timesteps t on {@code ctx}, keeping what
     * {@link #backward} needs; {@code train} turns dropout on. The result is owned by the
     * classifier's state on ctx (valid until its next forward there).
     *
     * @throws IllegalArgumentException when x does not have the configured size and channels, or
     *     t is not one timestep per sample
     */
    public Tensor forward(Context ctx, Tensor x, int[] t, boolean train) {
        S s = state(ctx);
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(t, "t");
        int size = config.imageSize();
        if (x.ndim() != 4 || x.dim(1) != size || x.dim(2) != size || x.dim(3) != config.channels()) {
            throw new IllegalArgumentException("x has shape " + Arrays.toString(x.shape()) + "; the classifier takes (N, "
                    + size + ", " + size + ", " + config.channels() + ")");
        }
        if (t.length != x.dim(0)) {
            throw new IllegalArgumentException("t has " + t.length + " entries but the batch is " + x.dim(0));
        }
        Tensor h = normOut.forward(ctx, encoder.forward(ctx, x, t, null, train));
        s.map = h;
        Tensor pooled = s.buffer("pooled", h.dim(0), h.dim(3));
        GlobalAvgPool.forward(ctx, pooled, h);
        return head.forward(ctx, pooled);
    }

    /**
     * Back-propagates ∂L/∂logits through ctx's last {@link #forward}, adding every parameter's
     * gradient (none when frozen); returns ∂L/∂x (owned by the classifier's state on ctx).
     */
    public Tensor backward(Context ctx, Tensor dLogits) {
        S s = state(ctx);
        Tensor map = saved(s.map);
        Tensor dPooled = head.backward(ctx, Objects.requireNonNull(dLogits, "dLogits"));
        Tensor dMap = s.buffer("d_map", map.shape());
        GlobalAvgPool.backward(ctx, dMap, dPooled);
        encoder.beginBackward(ctx);
        return encoder.backward(ctx, normOut.backward(ctx, dMap));
    }

    /**
     * ∇_x Σ_n log p_φ(y_n | x_n, t_n) into {@code grad} (x's shape): per sample, the gradient of
     * its own log-probability of its label, from one forward and one backward pass (dropout off).
     * Adds parameter gradients unless the classifier is frozen.
     *
     * @throws IllegalArgumentException when labels is not one class in [0, K) per sample
     */
    public void inputGradient(Context ctx, Tensor grad, Tensor x, int[] t, int[] labels) {
        Objects.requireNonNull(grad, "grad");
        Objects.requireNonNull(labels, "labels");
        Tensor logits = forward(ctx, x, t, false);
        S s = state(ctx);
        int n = x.dim(0);
        Tensor dLogits = s.buffer("d_logits", logits.shape());
        // SoftmaxCrossEntropy gives ∂(mean −log p)/∂logits = (softmax − onehot)/N; ∂ Σ log p = −N times it
        SoftmaxCrossEntropy.forward(ctx, s.buffer("ce", 1), dLogits, logits, labels);
        float[] minusN = new float[n];
        Arrays.fill(minusN, -n);
        Axpby.apply(ctx, dLogits, dLogits, null, minusN, null);
        grad.copyFrom(backward(ctx, dLogits));
    }
}
