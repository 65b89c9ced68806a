package org.diffusion4j.nn;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The KL-regularised autoencoder's shape (latent diffusion's AutoencoderKL, Rombach et al. 2022,
 * in small): base channels and a multiplier per resolution level, the resolution halved between
 * levels (by a stride-2 convolution in the encoder, nearest upsampling and a convolution in the
 * decoder), residual blocks per level and one in the middle, GroupNorm groups, and the latent's
 * channels: a W×W×C image becomes a w×w×c latent, w = W / 2^(levels − 1), written by the encoder
 * as 2c moments (c means, then c log-variances) per position.
 */
public record AutoencoderConfig(int imageSize, int channels, int baseChannels, int[] multipliers, int resBlocks,
        int latentChannels, int groups) {

    static final int MAX_LATENT_CHANNELS = 1024;

    public AutoencoderConfig {
        Objects.requireNonNull(multipliers, "multipliers");
        multipliers = multipliers.clone();
        UNetConfig.bound("imageSize", imageSize, 1, UNetConfig.MAX_IMAGE_SIZE);
        UNetConfig.bound("channels", channels, 1, UNetConfig.MAX_IMAGE_CHANNELS);
        UNetConfig.bound("baseChannels", baseChannels, 1, UNetConfig.MAX_BASE_CHANNELS);
        UNetConfig.bound("multipliers.length", multipliers.length, 1, UNetConfig.MAX_LEVELS);
        UNetConfig.bound("resBlocks", resBlocks, 1, UNetConfig.MAX_RES_BLOCKS);
        UNetConfig.bound("latentChannels", latentChannels, 1, MAX_LATENT_CHANNELS);
        UNetConfig.bound("groups", groups, 1, UNetConfig.MAX_GROUPS);
        int size = imageSize;
        for (int level = 0; level < multipliers.length; level++) {
            UNetConfig.bound("multipliers[" + level + "]", multipliers[level], 1, UNetConfig.MAX_MULTIPLIER);
            UNetConfig.bound("baseChannels × multipliers[" + level + "]", baseChannels * multipliers[level], 1,
                    UNetConfig.MAX_WIDTH);
            if (baseChannels * multipliers[level] % groups != 0) {
                throw new IllegalArgumentException("level " + level + ": " + baseChannels + "×" + multipliers[level]
                        + " channels do not split into " + groups + " groups");
            }
            if (level + 1 < multipliers.length) {
                if (size % 2 != 0) {
                    throw new IllegalArgumentException("resolution " + size + " at level " + level + " cannot be halved");
                }
                size /= 2;
            }
        }
    }

    /**
     * Fashion-MNIST: 28×28×1 to a 7×7×4 latent (latent diffusion's f = 4, c = 4: 196 numbers for
     * 784 pixels, a 4× compression that keeps strokes and textures a 7×7 grid can hold), 32 base
     * channels ×[1, 2, 2] at 28, 14 and 7, one residual block per level, 8 groups.
     */
    public static AutoencoderConfig fashionMnist() {
        return new AutoencoderConfig(28, 1, 32, new int[] {1, 2, 2}, 1, 4, 8);
    }

    /** The latent's side w = W / 2^(levels − 1). */
    public int latentSize() {
        return imageSize >> (multipliers.length - 1);
    }

    /** The latent's shape for a batch of n: (n, w, w, c). */
    public int[] latentShape(int n) {
        return new int[] {n, latentSize(), latentSize(), latentChannels};
    }

    /** The encoder's output for a batch of n: (n, w, w, 2c), means then log-variances. */
    public int[] momentsShape(int n) {
        return new int[] {n, latentSize(), latentSize(), 2 * latentChannels};
    }

    /** Channels at level l. */
    public int width(int level) {
        return baseChannels * multipliers[level];
    }

    static final String PREFIX = "autoencoder.";

    /** The configuration as checkpoint metadata (keys autoencoder.*). */
    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(PREFIX + "image_size", Integer.toString(imageSize));
        m.put(PREFIX + "channels", Integer.toString(channels));
        m.put(PREFIX + "base_channels", Integer.toString(baseChannels));
        m.put(PREFIX + "multipliers", Arrays.stream(multipliers).mapToObj(Integer::toString).collect(Collectors.joining(",")));
        m.put(PREFIX + "res_blocks", Integer.toString(resBlocks));
        m.put(PREFIX + "latent_channels", Integer.toString(latentChannels));
        m.put(PREFIX + "groups", Integer.toString(groups));
        return m;
    }

    /** The configuration {@link #toMetadata} wrote; a missing or malformed key is an IllegalArgumentException naming it. */
    public static AutoencoderConfig fromMetadata(Map<String, String> m) {
        String mult = get(m, "multipliers");
        int[] multipliers;
        try {
            multipliers = Arrays.stream(mult.split(",", -1)).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PREFIX + "multipliers is '" + mult + "'; expected integers like 1,2,2");
        }
        return new AutoencoderConfig(integer(m, "image_size"), integer(m, "channels"), integer(m, "base_channels"),
                multipliers, integer(m, "res_blocks"), integer(m, "latent_channels"), integer(m, "groups"));
    }

    private static String get(Map<String, String> m, String key) {
        String v = m.get(PREFIX + key);
        if (v == null) {
            throw new IllegalArgumentException("metadata lacks " + PREFIX + key);
        }
        return v;
    }

    private static int integer(Map<String, String> m, String key) {
        String v = get(m, key);
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PREFIX + key + " is '" + v + "'; expected an integer");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AutoencoderConfig c && imageSize == c.imageSize && channels == c.channels
                && baseChannels == c.baseChannels && Arrays.equals(multipliers, c.multipliers) && resBlocks == c.resBlocks
                && latentChannels == c.latentChannels && groups == c.groups;
    }

    @Override
    public int hashCode() {
        return Objects.hash(imageSize, channels, baseChannels, Arrays.hashCode(multipliers), resBlocks, latentChannels,
                groups);
    }

    @Override
    public String toString() {
        return String.format("AutoencoderConfig[%d×%d×%d to %d×%d×%d, base %d ×%s, %d res blocks, %d groups]", imageSize,
                imageSize, channels, latentSize(), latentSize(), latentChannels, baseChannels, Arrays.toString(multipliers),
                resBlocks, groups);
    }
}
