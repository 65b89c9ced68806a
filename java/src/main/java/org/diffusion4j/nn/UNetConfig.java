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
 * class for classifier-free guidance) and the time-embedding width.
 */
public record UNetConfig(int imageSize, int channels, int baseChannels, int[] multipliers, int resBlocks,
        int[] attentionResolutions, int heads, int groups, float dropout, int classes, int embDim) {

    public UNetConfig {
        Objects.requireNonNull(multipliers, "multipliers");
        Objects.requireNonNull(attentionResolutions, "attentionResolutions");
        multipliers = multipliers.clone();
        attentionResolutions = attentionResolutions.clone();
        if (imageSize < 1 || channels < 1 || baseChannels < 1 || resBlocks < 1 || heads < 1 || groups < 1 || embDim < 2
                || classes < 0 || multipliers.length == 0) {
            throw new IllegalArgumentException("bad U-Net configuration: " + this);
        }
        if (embDim % 2 != 0) {
            throw new IllegalArgumentException("embDim is " + embDim + "; the sinusoidal embedding needs an even width");
        }
        int size = imageSize;
        for (int level = 0; level < multipliers.length; level++) {
            if (multipliers[level] < 1 || baseChannels * multipliers[level] % groups != 0) {
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

    /** This configuration with another dropout probability. */
    public UNetConfig withDropout(float p) {
        return new UNetConfig(imageSize, channels, baseChannels, multipliers, resBlocks, attentionResolutions, heads, groups,
                p, classes, embDim);
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
        return m;
    }

    /**
     * Reads what {@link #toMetadata} wrote.
     *
     * @throws IllegalArgumentException naming the missing or malformed key
     */
    public static UNetConfig fromMetadata(Map<String, String> m) {
        return new UNetConfig(integer(m, "unet.image_size"), integer(m, "unet.channels"), integer(m, "unet.base_channels"),
                ints(m, "unet.multipliers"), integer(m, "unet.res_blocks"), ints(m, "unet.attention_resolutions"),
                integer(m, "unet.heads"), integer(m, "unet.groups"), (float) number(m, "unet.dropout"),
                integer(m, "unet.classes"), integer(m, "unet.emb_dim"));
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

    private static int integer(Map<String, String> m, String key) {
        try {
            return Integer.parseInt(value(m, key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("U-Net configuration: " + key + " is \"" + m.get(key) + "\", not an integer");
        }
    }

    private static double number(Map<String, String> m, String key) {
        try {
            return Double.parseDouble(value(m, key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("U-Net configuration: " + key + " is \"" + m.get(key) + "\", not a number");
        }
    }

    private static int[] ints(Map<String, String> m, String key) {
        String v = value(m, key);
        if (v.isEmpty()) {
            return new int[0];
        }
        try {
            return Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("U-Net configuration: " + key + " is \"" + v + "\", not integers like 1,2,2");
        }
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
                + ", " + classes + " classes, emb " + embDim + "]";
    }
}
