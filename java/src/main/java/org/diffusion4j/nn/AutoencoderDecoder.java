package org.diffusion4j.nn;

import org.diffusion4j.Context;
import org.diffusion4j.Tensor;

/**
 * The autoencoder's decoder, the encoder mirrored: a 3×3 convolution from the c latent channels
 * to the last level's width; a middle residual block; per level from the last its residual
 * blocks, then (but at the first level) nearest 2× upsampling and a 3×3 convolution;
 * GroupNorm+SiLU and a 3×3 convolution to the image's channels.
 */
public final class AutoencoderDecoder extends ConvStack {
    public AutoencoderDecoder(Context ctx, String name, AutoencoderConfig c) {
        super(ctx, name);
        int last = c.multipliers().length - 1;
        int ch = c.width(last);
        conv(ctx, "conv_in", c.latentChannels(), ch, 1, false);
        res(ctx, "mid.res", ch, ch, c.groups());
        for (int level = last; level >= 0; level--) {
            for (int r = 0; r < c.resBlocks(); r++) {
                res(ctx, "up." + level + ".res" + r, ch, c.width(level), c.groups());
                ch = c.width(level);
            }
            if (level > 0) {
                conv(ctx, "up." + level + ".upsample", ch, ch, 1, true);
            }
        }
        add(new NormLayer(ctx, name + ".out.norm", ch, c.groups(), true), false);
        conv(ctx, "out.conv", ch, c.channels(), 1, false);
    }

    /** Images (N, W, W, C) from latents (N, w, w, c) on ctx (owned by this decoder's state there). */
    public Tensor forward(Context ctx, Tensor latents) {
        return run(ctx, latents);
    }

    /** Accumulates the decoder's gradients from ∂L/∂images; returns ∂L/∂latents. */
    public Tensor backward(Context ctx, Tensor dImages) {
        return back(ctx, dImages);
    }
}
