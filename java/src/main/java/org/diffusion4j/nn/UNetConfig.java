package org.diffusion4j.nn;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The U-Net's shape (DDPM's architecture, Ho et al. 2020, Appendix B): base channels, a
 * channel multiplier per resolution level, residual blocks per level, the resolutions that get
 * self-attention, GroupNorm groups, dropout, classes (0: unconditional; else one extra null
 * class for classifier-free guidance), the time-embedding width, and whether the network also
 * outputs Improved DDPM's variance (2C output channels: the mean output, then the raw variance
 * interpolation of {@code GaussianDiffusion.learnedLogVariance}).
 */
public record UNetConfig(int imageSize, int channels, int baseChannels, int[] multipliers, int resBlocks,
        int[] attentionResolutions, int heads, int groups, float dropout, int classes, int embDim,
        boolean learnVariance) {

    // Bounds on every size, so that a configuration read from a file cannot ask for an absurd
    // allocation (or overflow an int): far above any network this library trains.
    static final int MAX_IMAGE_SIZE = 4096;
    static final int MAX_IMAGE_CHANNELS = 64;
    static final int MAX_BASE_CHANNELS = 4096;
    static final int MAX_LEVELS = 8;
    static final int MAX_MULTIPLIER = 64;
    static final int MAX_WIDTH = 8192; // base channels × multiplier, the widest level
    static final int MAX_RES_BLOCKS = 16;
    static final int MAX_ATTENTION_RESOLUTIONS = 16;
    static final int MAX_HEADS = 1024;
    static final int MAX_GROUPS = 1024;
    static final int MAX_CLASSES = 100_000;
    static final int MAX_EMB_DIM = 16384;

    public UNetConfig {
        Objects.requireNonNull(multipliers, "multipliers");
        Objects.requireNonNull(attentionResolutions, "attentionResolutions");
        multipliers = multipliers.clone();
        attentionResolutions = attentionResolutions.clone();
        bound("imageSize", imageSize, 1, MAX_IMAGE_SIZE);
        bound("channels", channels, 1, MAX_IMAGE_CHANNELS);
        bound("baseChannels", baseChannels, 1, MAX_BASE_CHANNELS);
        bound("multipliers.length", multipliers.length, 1, MAX_LEVELS);
        for (int level = 0; level < multipliers.length; level++) {
            bound("multipliers[" + level + "]", multipliers[level], 1, MAX_MULTIPLIER);
            bound("baseChannels × multipliers[" + level + "]", baseChannels * multipliers[level], 1, MAX_WIDTH);
        }
        bound("resBlocks", resBlocks, 1, MAX_RES_BLOCKS);
        bound("attentionResolutions.length", attentionResolutions.length, 0, MAX_ATTENTION_RESOLUTIONS);
        for (int i = 0; i < attentionResolutions.length; i++) {
            bound("attentionResolutions[" + i + "]", attentionResolutions[i], 1, imageSize);
        }
        bound("heads", heads, 1, MAX_HEADS);
        bound("groups", groups, 1, MAX_GROUPS);
        bound("classes", classes, 0, MAX_CLASSES);
        bound("embDim", embDim, 2, MAX_EMB_DIM);
        if (embDim % 2 != 0) {
            throw new IllegalArgumentException("embDim is " + embDim + "; the sinusoidal embedding needs an even width");
        }
        int size = imageSize;
        for (int level = 0; level < multipliers.length; level++) {
            if (baseChannels * multipliers[level] % groups != 0) {
                throw new IllegalArgumentException("level " + level + ": " + baseChannels + "×" + multipliers[level]
                        + " channels do not split into " + groups + " groups");
            }
            if (level + 1 < multipliers.length && size % 2 != 0) {
                throw new IllegalArgumentException("resolution " + size + " at level " + level + " cannot be halved");
            }
            size /= level + 1 < multipliers.length ? 2 : 1;
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("dropout is " + dropout + "; it must be in [0, 1)");
        }
    }

    /** A network with C output channels (no learned variance). */
    public UNetConfig(int imageSize, int channels, int baseChannels, int[] multipliers, int resBlocks,
            int[] attentionResolutions, int heads, int groups, float dropout, int classes, int embDim) {
        this(imageSize, channels, baseChannels, multipliers, resBlocks, attentionResolutions, heads, groups, dropout,
                classes, embDim, false);
    }

    /** The network's output channels: C, or 2C with learned variance. */
    public int outChannels() {
        return learnVariance ? 2 * channels : channels;
    }

    /**
     * Fashion-MNIST, class-conditional: 28×28×1, 32 base channels at 28, 14 and 7 (×1, ×2, ×2),
     * one residual block per level, attention at 7×7, 8 groups, dropout 0.1, 10 classes. Small
     * enough to train on two CPU cores.
     */
    public static UNetConfig fashionMnist() {
        return fashionMnist(32);
    }

    /** The Fashion-MNIST preset with another base width (a multiple of 8); the time embedding is 4× base. */
    public static UNetConfig fashionMnist(int baseChannels) {
        return small(28, 1, 10, baseChannels);
    }

    /**
     * CIFAR-10 (32×32×3), class-conditional: the DDPM paper's CIFAR-10 network (Ho et al. 2020,
     * Appendix B: 128 base channels ×[1, 2, 2, 2], two residual blocks per level, attention at
     * 16×16, dropout 0.1) with 4 attention heads, 32 groups, 10 classes and a 512-wide time
     * embedding. About 36M parameters: a GPU model.
     */
    public static UNetConfig cifar10() {
        return new UNetConfig(32, 3, 128, new int[] {1, 2, 2, 2}, 2, new int[] {16}, 4, 32, 0.1f, 10, 512);
    }

    /**
     * The small preset for any square image size divisible by 4: three levels (×1, ×2, ×2 base
     * channels at full, half and quarter resolution), one residual block per level, 4-head
     * attention at quarter resolution, 8 groups, dropout 0.1, time embedding 4× base.
     * {@code classes} 0 makes an unconditional model.
     */
    public static UNetConfig small(int imageSize, int channels, int classes, int baseChannels) {
        if (imageSize < 4 || imageSize % 4 != 0) {
            throw new IllegalArgumentException("image size is " + imageSize + "; the small preset needs a multiple of 4 (>= 4)");
        }
        return new UNetConfig(imageSize, channels, baseChannels, new int[] {1, 2, 2}, 1, new int[] {imageSize / 4}, 4, 8,
                0.1f, classes, 4 * baseChannels);
    }

    /**
     * The latent-diffusion preset for a latent of side {@code size} (latent diffusion's f = 4
     * autoencoder gives 7×7 for Fashion-MNIST, too small to halve usefully): one level of
     * {@code baseChannels} at the latent's size with two residual blocks and 4-head attention, 8
     * groups, dropout 0.1, time embedding 4× base. {@code classes} 0 makes an unconditional model.
     */
    public static UNetConfig latent(int size, int channels, int classes, int baseChannels) {
        return new UNetConfig(size, channels, baseChannels, new int[] {1}, 2, new int[] {size}, 4, 8, 0.1f, classes,
                4 * baseChannels);
    }

    /** This configuration with another dropout probability. */
    public UNetConfig withDropout(float p) {
        return new UNetConfig(imageSize, channels, baseChannels, multipliers, resBlocks, attentionResolutions, heads, groups,
                p, classes, embDim, learnVariance);
    }

    /** This configuration with (or without) the learned-variance output channels. */
    public UNetConfig withLearnedVariance(boolean learn) {
        return new UNetConfig(imageSize, channels, baseChannels, multipliers, resBlocks, attentionResolutions, heads, groups,
                dropout, classes, embDim, learn);
    }

    /** True when both build the same parameters (everything but dropout agrees). */
    public boolean sameArchitecture(UNetConfig o) {
        return o != null && toMetadata().equals(o.withDropout(dropout).toMetadata());
    }

    /** The configuration as string entries (keys {@code unet.*}) for checkpoint metadata. */
    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("unet.image_size", Integer.toString(imageSize));
        m.put("unet.channels", Integer.toString(channels));
        m.put("unet.base_channels", Integer.toString(baseChannels));
        m.put("unet.multipliers", join(multipliers));
        m.put("unet.res_blocks", Integer.toString(resBlocks));
        m.put("unet.attention_resolutions", join(attentionResolutions));
        m.put("unet.heads", Integer.toString(heads));
        m.put("unet.groups", Integer.toString(groups));
        m.put("unet.dropout", Float.toString(dropout));
        m.put("unet.classes", Integer.toString(classes));
        m.put("unet.emb_dim", Integer.toString(embDim));
        m.put("unet.learn_variance", Boolean.toString(learnVariance));
        return m;
    }

    /**
     * Reads what {@link #toMetadata} wrote, bounding every size before anything is built from it:
     * image size 1..4096, image channels 1..64, base channels 1..4096, 1..8 multipliers of
     * 1..64 with base × multiplier at most 8192, 1..16 residual blocks, at most 16 attention
     * resolutions within the image size, 1..1024 heads and groups, 0..100000 classes, time
     * embedding 2..16384, dropout in [0, 1); {@code unet.learn_variance} true or false (absent in
     * checkpoints older than learned variance: false).
     *
     * @throws IllegalArgumentException naming the missing, malformed or out-of-range key
     */
    public static UNetConfig fromMetadata(Map<String, String> m) {
        int imageSize = integer(m, "unet.image_size", 1, MAX_IMAGE_SIZE);
        int channels = integer(m, "unet.channels", 1, MAX_IMAGE_CHANNELS);
        int base = integer(m, "unet.base_channels", 1, MAX_BASE_CHANNELS);
        int[] multipliers = ints(m, "unet.multipliers", 1, MAX_LEVELS, 1, MAX_MULTIPLIER);
        for (int mult : multipliers) {
            if (base * mult > MAX_WIDTH) {
                throw new IllegalArgumentException("U-Net configuration: unet.multipliers " + m.get("unet.multipliers")
                        + " with unet.base_channels " + base + " make a level " + base * mult + " channels wide; at most "
                        + MAX_WIDTH);
            }
        }
        int resBlocks = integer(m, "unet.res_blocks", 1, MAX_RES_BLOCKS);
        int[] attention = ints(m, "unet.attention_resolutions", 0, MAX_ATTENTION_RESOLUTIONS, 1, imageSize);
        int heads = integer(m, "unet.heads", 1, MAX_HEADS);
        int groups = integer(m, "unet.groups", 1, MAX_GROUPS);
        double dropout = number(m, "unet.dropout");
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("U-Net configuration: unet.dropout is " + m.get("unet.dropout")
                    + "; it must be in [0, 1)");
        }
        int classes = integer(m, "unet.classes", 0, MAX_CLASSES);
        int embDim = integer(m, "unet.emb_dim", 2, MAX_EMB_DIM);
        String learn = m.getOrDefault("unet.learn_variance", "false");
        if (!learn.equals("true") && !learn.equals("false")) {
            throw new IllegalArgumentException("U-Net configuration: unet.learn_variance is \"" + learn
                    + "\"; it must be true or false");
        }
        try {
            return new UNetConfig(imageSize, channels, base, multipliers, resBlocks, attention, heads, groups,
                    (float) dropout, classes, embDim, learn.equals("true"));
        } catch (IllegalArgumentException e) { // sizes in range that do not fit together (groups, halving, parity)
            throw new IllegalArgumentException("U-Net configuration (unet.*): " + e.getMessage(), e);
        }
    }

    static void bound(String field, int v, int min, int max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException("U-Net configuration: " + field + " is " + v + "; it must be " + min + " to "
                    + max);
        }
    }

    private static String join(int[] v) {
        return Arrays.stream(v).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }

    private static String value(Map<String, String> m, String key) {
        String v = m.get(key);
        if (v == null) {
            throw new IllegalArgumentException("U-Net configuration lacks \"" + key + "\"");
        }
        return v;
    }

    private static int integer(Map<String, String> m, String key, int min, int max) {
        int v;
        try {
            v = Integer.parseInt(value(m, key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("U-Net configuration: " + key + " is \"" + m.get(key) + "\", not an integer");
        }
        bound(key, v, min, max);
        return v;
    }

    private static double number(Map<String, String> m, String key) {
        try {
            return Double.parseDouble(value(m, key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("U-Net configuration: " + key + " is \"" + m.get(key) + "\", not a number");
        }
    }

    /** A comma-separated list of minCount..maxCount integers, each in [min, max]. */
    private static int[] ints(Map<String, String> m, String key, int minCount, int maxCount, int min, int max) {
        String v = value(m, key);
        String[] parts = v.isEmpty() ? new String[0] : v.split(",", -1);
        if (parts.length < minCount || parts.length > maxCount) {
            throw new IllegalArgumentException("U-Net configuration: " + key + " is \"" + v + "\", " + parts.length
                    + " values; it must have " + minCount + " to " + maxCount);
        }
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("U-Net configuration: " + key + " is \"" + v
                        + "\", not integers like 1,2,2");
            }
            if (out[i] < min || out[i] > max) {
                throw new IllegalArgumentException("U-Net configuration: " + key + " is \"" + v + "\"; each value must be "
                        + min + " to " + max);
            }
        }
        return out;
    }

    @Override
    public int[] multipliers() {
        return multipliers.clone();
    }

    @Override
    public int[] attentionResolutions() {
        return attentionResolutions.clone();
    }

    boolean attentionAt(int resolution) {
        return Arrays.stream(attentionResolutions).anyMatch(r -> r == resolution);
    }

    @Override
    public String toString() {
        return "UNetConfig[" + imageSize + "×" + imageSize + "×" + channels + ", base " + baseChannels + " ×"
                + Arrays.toString(multipliers) + ", " + resBlocks + " res blocks, attention at "
                + Arrays.toString(attentionResolutions) + ", " + heads + " heads, " + groups + " groups, dropout " + dropout
                + ", " + classes + " classes, emb " + embDim + (learnVariance ? ", learned variance" : "") + "]";
    }
}
