package org.diffusion4j.nn;

import org.diffusion4j.Context;
import org.diffusion4j.Tensor;

/**
 * The autoencoder's encoder: a 3×3 convolution to the first level's width; per level its
 * residual blocks, then (but at the last level) a stride-2 3×3 convolution; a middle residual
 * block; GroupNorm+SiLU and a 3×3 convolution to the 2c moments (means, then log-variances).
 */
public final class AutoencoderEncoder extends ConvStack {
    public AutoencoderEncoder(Context ctx, String name, AutoencoderConfig c) {
        super(ctx, name);
        int ch = c.width(0);
        conv(ctx, "conv_in", c.channels(), ch, 1, false);
        for (int level = 0; level < c.multipliers().length; level++) {
            for (int r = 0; r < c.resBlocks(); r++) {
                res(ctx, "down." + level + ".res" + r, ch, c.width(level), c.groups());
                ch = c.width(level);
            }
            if (level + 1 < c.multipliers().length) {
                conv(ctx, "down." + level + ".downsample", ch, ch, 2, false);
            }
        }
        res(ctx, "mid.res", ch, ch, c.groups());
        add(new NormLayer(ctx, name + ".out.norm", ch, c.groups(), true), false);
        conv(ctx, "out.conv", ch, 2 * c.latentChannels(), 1, false);
    }

    /** The moments (N, w, w, 2c) of images (N, W, W, C) on ctx (owned by this encoder's state there). */
    public Tensor forward(Context ctx, Tensor images) {
        return run(ctx, images);
    }

    /** Accumulates the encoder's gradients from ∂L/∂moments; returns ∂L/∂images. */
    public Tensor backward(Context ctx, Tensor dMoments) {
        return back(ctx, dMoments);
    }

    /** Accumulates the encoder's gradients from ∂L/∂moments, skipping ∂L/∂images (a training step needs none). */
    public void backwardWeights(Context ctx, Tensor dMoments) {
        back(ctx, dMoments, false);
    }
}
