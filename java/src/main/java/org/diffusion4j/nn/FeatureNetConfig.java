package org.diffusion4j.nn;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.diffusion4j.ops.Conv2d;

/**
 * The shape of a {@link FeatureNet}: square images of {@code imageSize} pixels and
 * {@code channels} channels; one 3×3 convolution per entry of {@code widths} (output channels)
 * with the matching {@code strides} (1 or 2), each followed by GroupNorm ({@code groups}) and
 * SiLU; global average pooling to {@code widths[last]} features; a linear layer to
 * {@code classes} logits.
 */
public record FeatureNetConfig(int imageSize, int channels, int[] widths, int[] strides, int groups, int classes) {
    static final int MAX_IMAGE_SIZE = 4096;
    static final int MAX_CHANNELS = 64;
    static final int MAX_LAYERS = 16;
    static final int MAX_WIDTH = 4096;
    static final int MAX_GROUPS = 1024;
    static final int MAX_CLASSES = 100_000;

    public FeatureNetConfig {
        Objects.requireNonNull(widths, "widths");
        Objects.requireNonNull(strides, "strides");
        widths = widths.clone();
        strides = strides.clone();
        bound("imageSize", imageSize, 1, MAX_IMAGE_SIZE);
        bound("channels", channels, 1, MAX_CHANNELS);
        bound("widths.length", widths.length, 1, MAX_LAYERS);
        if (strides.length != widths.length) {
            throw new IllegalArgumentException("feature network configuration: " + strides.length + " strides for "
                    + widths.length + " layers; give one stride per layer");
        }
        bound("groups", groups, 1, MAX_GROUPS);
        bound("classes", classes, 2, MAX_CLASSES);
        for (int i = 0; i < widths.length; i++) {
            bound("widths[" + i + "]", widths[i], 1, MAX_WIDTH);
            bound("strides[" + i + "]", strides[i], 1, 2);
            if (widths[i] % groups != 0) {
                throw new IllegalArgumentException("feature network configuration: widths[" + i + "] = " + widths[i]
                        + " channels do not split into " + groups + " groups");
            }
        }
    }

    /**
     * The Fashion-MNIST network (28×28 grey, 10 classes): 32 channels at 28×28, 64 at 14×14, 128
     * at 7×7 twice, 8 groups; 128 features. About 242k parameters; an epoch of Fashion-MNIST took
     * 70–110 s on two shared CPU cores (docs/feature-network.md).
     */
    public static FeatureNetConfig fashionMnist() {
        return small(28, 1, 10);
    }

    /** The Fashion-MNIST layout for other square images and class counts. */
    public static FeatureNetConfig small(int imageSize, int channels, int classes) {
        return new FeatureNetConfig(imageSize, channels, new int[] {32, 64, 128, 128}, new int[] {1, 2, 2, 1}, 8, classes);
    }

    /** The width of the penultimate layer: the features' dimension. */
    public int featureDim() {
        return widths[widths.length - 1];
    }

    /** The side of the last feature map (before pooling). */
    public int finalSize() {
        int size = imageSize;
        for (int s : strides) {
            size = Conv2d.outputSize(size, 3, s, 1);
        }
        return size;
    }

    @Override
    public int[] widths() {
        return widths.clone();
    }

    @Override
    public int[] strides() {
        return strides.clone();
    }

    /** The configuration as string entries (keys {@code featurenet.*}) for the weights file's metadata. */
    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("featurenet.image_size", Integer.toString(imageSize));
        m.put("featurenet.channels", Integer.toString(channels));
        m.put("featurenet.widths", join(widths));
        m.put("featurenet.strides", join(strides));
        m.put("featurenet.groups", Integer.toString(groups));
        m.put("featurenet.classes", Integer.toString(classes));
        return m;
    }

    /**
     * Reads what {@link #toMetadata} wrote, every value bounded as the constructor bounds it.
     *
     * @throws IllegalArgumentException naming the missing, malformed or out-of-range key
     */
    public static FeatureNetConfig fromMetadata(Map<String, String> m) {
        try {
            return new FeatureNetConfig(integer(m, "featurenet.image_size"), integer(m, "featurenet.channels"),
                    ints(m, "featurenet.widths"), ints(m, "featurenet.strides"), integer(m, "featurenet.groups"),
                    integer(m, "featurenet.classes"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().startsWith("feature network") ? e.getMessage()
                    : "feature network configuration (featurenet.*): " + e.getMessage(), e);
        }
    }

    private static void bound(String field, int v, int min, int max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException("feature network configuration: " + field + " is " + v + "; it must be "
                    + min + " to " + max);
        }
    }

    private static String join(int[] v) {
        return Arrays.stream(v).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }

    private static String value(Map<String, String> m, String key) {
        String v = m.get(key);
        if (v == null) {
            throw new IllegalArgumentException("feature network configuration lacks \"" + key + "\"");
        }
        return v;
    }

    private static int integer(Map<String, String> m, String key) {
        try {
            return Integer.parseInt(value(m, key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("feature network configuration: " + key + " is \"" + m.get(key)
                    + "\", not an integer");
        }
    }

    private static int[] ints(Map<String, String> m, String key) {
        String v = value(m, key);
        String[] parts = v.split(",", -1);
        if (parts.length > MAX_LAYERS) {
            throw new IllegalArgumentException("feature network configuration: " + key + " has " + parts.length
                    + " values; at most " + MAX_LAYERS);
        }
        try {
            return Arrays.stream(parts).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("feature network configuration: " + key + " is \"" + v
                    + "\", not integers like 32,64");
        }
    }

    @Override
    public String toString() {
        return "FeatureNetConfig[" + imageSize + "×" + imageSize + "×" + channels + ", widths " + Arrays.toString(widths)
                + ", strides " + Arrays.toString(strides) + ", " + groups + " groups, " + classes + " classes]";
    }
}
