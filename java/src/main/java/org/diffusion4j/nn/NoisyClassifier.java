package org.diffusion4j.nn;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Seeds;
import org.diffusion4j.Tensor;
import org.diffusion4j.diffusion.GaussianDiffusion;
import org.diffusion4j.io.Safetensors;
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
    /** The {@code format} metadata entry of a noisy classifier's file. */
    public static final String FORMAT = "diffusion4j-noisy-classifier";
    public static final String FORMAT_VERSION = "1";

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
        return encoder.backward(ctx, normOut.backward(ctx, dMap), true);
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

    /**
     * Writes the weights and metadata (format, the configuration as {@code unet.*}, the noising
     * process it was trained under as {@code diffusion.*}, and {@code extra}) to {@code file},
     * atomically.
     *
     * @throws IllegalArgumentException when an extra key is one of the classifier's own
     */
    public void save(Path file, GaussianDiffusion diffusion, Map<String, String> extra) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("format_version", FORMAT_VERSION);
        meta.put("config", config.toString());
        meta.putAll(config.toMetadata());
        meta.putAll(Objects.requireNonNull(diffusion, "diffusion").toMetadata());
        for (Map.Entry<String, String> e : extra.entrySet()) {
            if (meta.putIfAbsent(e.getKey(), e.getValue()) != null) {
                throw new IllegalArgumentException("extra metadata key \"" + e.getKey() + "\" is the classifier's own");
            }
        }
        Safetensors.write(file, parameterEntries(""), meta);
    }

    /** A classifier read by {@link #load}, with the noising process and metadata of its file. */
    public record Loaded(NoisyClassifier classifier, GaussianDiffusion diffusion, Map<String, String> metadata)
            implements AutoCloseable {
        @Override
        public void close() {
            classifier.close();
        }
    }

    /**
     * The classifier {@link #save} wrote to {@code file}, built on {@code ctx}; every tensor is
     * checked (present, of the configuration's shape, finite) as it is copied in.
     *
     * @throws IOException naming the file and what is wrong with it
     */
    public static Loaded load(Context ctx, Path file) throws IOException {
        Objects.requireNonNull(ctx, "ctx");
        Safetensors.Contents c = Safetensors.read(file);
        Map<String, String> meta = c.metadata();
        if (!FORMAT.equals(meta.get("format")) || !FORMAT_VERSION.equals(meta.get("format_version"))) {
            throw new IOException(file + ": not a noise-conditional classifier (format " + meta.get("format") + ", version "
                    + meta.get("format_version") + "; expected " + FORMAT + " " + FORMAT_VERSION + ")");
        }
        UNetConfig config;
        GaussianDiffusion diffusion;
        try {
            config = UNetConfig.fromMetadata(meta);
            diffusion = GaussianDiffusion.fromMetadata(meta);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        NoisyClassifier net;
        try {
            net = new NoisyClassifier(ctx, config, 0);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        try {
            net.loadParameters(c.tensors(), "", file.toString());
            return new Loaded(net, diffusion, Map.copyOf(meta));
        } catch (IOException | RuntimeException e) {
            net.close();
            throw e;
        }
    }
}
