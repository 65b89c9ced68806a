package org.diffusion4j.nn;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Seeds;
import org.diffusion4j.Tensor;
import org.diffusion4j.io.Safetensors;
import org.diffusion4j.ops.GlobalAvgPool;

/**
 * The feature network of the evaluation suite: a small CNN classifier trained with the library's
 * own kernels, whose penultimate layer defines the features of FID and precision/recall and whose
 * predictions give the class accuracy of generated images. Per layer of its
 * {@link FeatureNetConfig}: a 3×3 convolution (padding 1, stride 1 or 2), GroupNorm and SiLU
 * (one fused pass); then global average pooling to the features (N, D) and a linear layer to the
 * logits (N, K). Images are NHWC in [−1, 1], as the data sets give them.
 *
 * <p>{@link #fashionMnist(Context)} loads the network trained on Fashion-MNIST that ships in the
 * library's resources (docs/feature-network.md says how it was trained and what it scores).
 * Threads that each own a context may share one network for inference, as with any
 * {@link Module}; training is single-context.
 */
public final class FeatureNet extends Module {
    /** The {@code format} metadata entry of a feature network's weights file. */
    public static final String FORMAT = "diffusion4j-featurenet";
    public static final String FORMAT_VERSION = "1";
    /** The Fashion-MNIST network in the library's resources. */
    public static final String FASHION_MNIST_RESOURCE = "/org/diffusion4j/eval/fashion-mnist-features.safetensors";

    private final FeatureNetConfig config;
    private final List<ConvLayer> convs = new ArrayList<>();
    private final List<NormLayer> norms = new ArrayList<>();
    private final DenseLayer head;
    private final Map<String, String> metadata;

    /** Per context: the last feature map and its pooled features, of the last forward. */
    private static final class S extends State {
        Tensor lastMap;
        Tensor features;

        S(Context ctx) {
            super(ctx);
        }
    }

    /**
     * A network with PyTorch's default initialisation drawn from the Philox key
     * {@link Seeds.Purpose#WEIGHT_INIT} of {@code seed}; the context's own stream is left where it was.
     */
    public FeatureNet(Context ctx, FeatureNetConfig config, long seed) {
        this(ctx, config, seed, Map.of());
    }

    private FeatureNet(Context ctx, FeatureNetConfig config, long seed, Map<String, String> metadata) {
        super(ctx, "featurenet");
        this.config = Objects.requireNonNull(config, "config");
        this.metadata = Map.copyOf(metadata);
        long savedSeed = ctx.seed();
        long savedOffset = ctx.rngOffset();
        ctx.setRng(Seeds.derive(seed, Seeds.Purpose.WEIGHT_INIT), 0);
        try {
            int[] widths = config.widths();
            int[] strides = config.strides();
            int in = config.channels();
            for (int i = 0; i < widths.length; i++) {
                convs.add(child(new ConvLayer(ctx, "conv" + i, in, widths[i], 3, strides[i], 1, false)));
                norms.add(child(new NormLayer(ctx, "norm" + i, widths[i], config.groups(), true)));
                in = widths[i];
            }
            head = child(new DenseLayer(ctx, "head", config.featureDim(), config.classes(), true));
        } finally {
            ctx.setRng(savedSeed, savedOffset);
        }
    }

    @Override
    protected State newState(Context ctx) {
        return new S(ctx);
    }

    public FeatureNetConfig config() {
        return config;
    }

    /** The metadata of the file this network was loaded from (config, class names, accuracy, ...); empty for a new one. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The features' dimension D (the penultimate layer's width). */
    public int featureDim() {
        return config.featureDim();
    }

    private S trunk(Context ctx, Tensor images) {
        S s = state(ctx);
        Objects.requireNonNull(images, "images");
        int size = config.imageSize();
        if (images.ndim() != 4 || images.dim(1) != size || images.dim(2) != size || images.dim(3) != config.channels()) {
            throw new IllegalArgumentException("images has shape " + Arrays.toString(images.shape()) + "; the feature "
                    + "network takes (N, " + size + ", " + size + ", " + config.channels() + ")");
        }
        Tensor h = images;
        for (int i = 0; i < convs.size(); i++) {
            h = norms.get(i).forward(ctx, convs.get(i).forward(ctx, h));
        }
        s.lastMap = h;
        s.features = s.buffer("features", h.dim(0), h.dim(3));
        GlobalAvgPool.forward(ctx, s.features, h);
        return s;
    }

    /**
     * The logits (N, K) of images (N, S, S, C) on {@code ctx}, keeping what {@link #backward}
     * needs; the result is owned by the network's state on ctx (valid until its next forward there).
     *
     * @throws IllegalArgumentException when the images do not have the configured size and channels
     */
    public Tensor forward(Context ctx, Tensor images) {
        return head.forward(ctx, trunk(ctx, images).features);
    }

    /** Back-propagates ∂L/∂logits through ctx's last {@link #forward}, adding every parameter's gradient. */
    public void backward(Context ctx, Tensor dLogits) {
        S s = state(ctx);
        Tensor map = saved(s.lastMap);
        Tensor dFeatures = head.backward(ctx, Objects.requireNonNull(dLogits, "dLogits"));
        Tensor dh = s.buffer("d_map", map.shape());
        GlobalAvgPool.backward(ctx, dh, dFeatures);
        for (int i = convs.size() - 1; i > 0; i--) {
            dh = convs.get(i).backward(ctx, norms.get(i).backward(ctx, dh));
        }
        convs.get(0).backwardWeights(ctx, norms.get(0).backward(ctx, dh)); // the images need no gradient
    }

    /** The penultimate features (N × D): the pooled last feature map of images (N, S, S, C). */
    public float[][] features(Context ctx, Tensor images) {
        return rows(trunk(ctx, images).features);
    }

    /** The logits (N × K) of images (N, S, S, C). */
    public float[][] logits(Context ctx, Tensor images) {
        return rows(forward(ctx, images));
    }

    /** The most likely class of each image (the first of equal logits). */
    public int[] predict(Context ctx, Tensor images) {
        float[][] logits = logits(ctx, images);
        int[] out = new int[logits.length];
        for (int n = 0; n < logits.length; n++) {
            int best = 0;
            for (int k = 1; k < logits[n].length; k++) {
                if (logits[n][k] > logits[n][best]) {
                    best = k;
                }
            }
            out[n] = best;
        }
        return out;
    }

    private static float[][] rows(Tensor t) {
        float[] flat = t.toArray();
        int n = t.dim(0);
        int d = t.dim(1);
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) {
            out[i] = Arrays.copyOfRange(flat, i * d, (i + 1) * d);
        }
        return out;
    }

    /**
     * Writes the weights and metadata (format, the configuration as {@code featurenet.*}, and
     * {@code extra}: class names, accuracy, data set, ...) to {@code file}, atomically.
     *
     * @throws IllegalArgumentException when an extra key is one of the network's own
     */
    public void save(Path file, Map<String, String> extra) throws IOException {
        Map<String, Safetensors.Entry> tensors = parameterEntries("");
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("format_version", FORMAT_VERSION);
        meta.put("config", config.toString());
        meta.putAll(config.toMetadata());
        for (Map.Entry<String, String> e : extra.entrySet()) {
            if (meta.putIfAbsent(e.getKey(), e.getValue()) != null) {
                throw new IllegalArgumentException("extra metadata key \"" + e.getKey() + "\" is the network's own");
            }
        }
        Safetensors.write(file, tensors, meta);
    }

    /**
     * The network {@link #save} wrote to {@code file}, built on {@code ctx}. Every tensor is
     * checked (present, of the configuration's shape, finite) as it is copied in; on the first
     * bad one the network is closed again and nothing is returned.
     *
     * @throws IOException naming the file and what is wrong with it
     */
    public static FeatureNet load(Context ctx, Path file) throws IOException {
        return load(ctx, Safetensors.read(file), file.toString());
    }

    /**
     * The feature network trained on Fashion-MNIST (28×28 grey, 10 classes) that ships in the
     * library's resources ({@link #FASHION_MNIST_RESOURCE}), on {@code ctx}.
     */
    public static FeatureNet fashionMnist(Context ctx) {
        try (InputStream in = FeatureNet.class.getResourceAsStream(FASHION_MNIST_RESOURCE)) {
            if (in == null) {
                throw new NoSuchFileException(FASHION_MNIST_RESOURCE, null, "not in the library's resources");
            }
            Path tmp = Files.createTempFile("d4j-featurenet", ".safetensors");
            try {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                return load(ctx, Safetensors.read(tmp), "resource " + FASHION_MNIST_RESOURCE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("the Fashion-MNIST feature network: " + e.getMessage(), e);
        }
    }

    private static FeatureNet load(Context ctx, Safetensors.Contents c, String source) throws IOException {
        Objects.requireNonNull(ctx, "ctx");
        Map<String, String> meta = c.metadata();
        if (!FORMAT.equals(meta.get("format")) || !FORMAT_VERSION.equals(meta.get("format_version"))) {
            throw new IOException(source + ": not a feature network (format " + meta.get("format") + ", version "
                    + meta.get("format_version") + "; expected " + FORMAT + " " + FORMAT_VERSION + ")");
        }
        FeatureNetConfig config;
        try {
            config = FeatureNetConfig.fromMetadata(meta);
        } catch (IllegalArgumentException e) {
            throw new IOException(source + ": " + e.getMessage(), e);
        }
        FeatureNet net = new FeatureNet(ctx, config, 0, meta);
        try {
            net.loadParameters(c.tensors(), "", source);
            return net;
        } catch (IOException | RuntimeException e) {
            net.close();
            throw e;
        }
    }
}
