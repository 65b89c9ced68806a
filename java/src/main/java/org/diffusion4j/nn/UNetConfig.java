package org.diffusion4j.nn;

import java.util.Arrays;
import java.util.Objects;

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
        return new UNetConfig(28, 1, baseChannels, new int[] {1, 2, 2}, 1, new int[] {7}, 4, 8, 0.1f, 10, 4 * baseChannels);
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
