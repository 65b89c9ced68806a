package org.diffusion4j.latent;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.nn.Autoencoder;
import org.diffusion4j.nn.AutoencoderConfig;

/**
 * Where a latent diffusion model lives (Rombach et al. 2022): the autoencoder whose latents it
 * was trained on — named by its weights' {@link Autoencoder#fingerprint}, its configuration and
 * the file it came from — and the scale factor that brought the training set's latents to unit
 * variance (latent diffusion's {@code scale_factor}: the model sees s·z, samples are decoded from
 * z = x/s). A latent checkpoint records it as {@code latent.*} metadata, and decoding refuses an
 * autoencoder other than the one it names.
 */
public record LatentSpace(String fingerprint, AutoencoderConfig autoencoder, double scaleFactor, String autoencoderFile) {
    static final String PREFIX = "latent.";

    public LatentSpace {
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(autoencoder, "autoencoder");
        Objects.requireNonNull(autoencoderFile, "autoencoderFile");
        if (!(scaleFactor > 0) || Double.isInfinite(scaleFactor)) {
            throw new IllegalArgumentException("latent scale factor is " + scaleFactor + "; it must be finite and > 0");
        }
    }

    /** The latent space of {@code ae} (loaded from {@code file}) with a measured scale factor. */
    public static LatentSpace of(Autoencoder ae, double scaleFactor, String file) {
        return new LatentSpace(ae.fingerprint(), ae.config(), scaleFactor, file);
    }

    /** Whether checkpoint metadata describes a latent model. */
    public static boolean inMetadata(Map<String, String> meta) {
        return meta.containsKey(PREFIX + "fingerprint");
    }

    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(PREFIX + "fingerprint", fingerprint);
        m.put(PREFIX + "scale_factor", Double.toString(scaleFactor));
        m.put(PREFIX + "autoencoder_file", autoencoderFile);
        for (Map.Entry<String, String> e : autoencoder.toMetadata().entrySet()) {
            m.put(PREFIX + e.getKey(), e.getValue());
        }
        return m;
    }

    /** The latent space {@link #toMetadata} wrote; a missing or malformed key is an IllegalArgumentException naming it. */
    public static LatentSpace fromMetadata(Map<String, String> meta) {
        String fp = meta.get(PREFIX + "fingerprint");
        String scale = meta.get(PREFIX + "scale_factor");
        String file = meta.get(PREFIX + "autoencoder_file");
        if (fp == null || scale == null || file == null) {
            throw new IllegalArgumentException("metadata lacks " + PREFIX + (fp == null ? "fingerprint" : scale == null
                    ? "scale_factor" : "autoencoder_file"));
        }
        Map<String, String> ae = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : meta.entrySet()) {
            if (e.getKey().startsWith(PREFIX + "autoencoder.")) {
                ae.put(e.getKey().substring(PREFIX.length()), e.getValue());
            }
        }
        double s;
        try {
            s = Double.parseDouble(scale);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PREFIX + "scale_factor is '" + scale + "'; expected a number");
        }
        return new LatentSpace(fp, AutoencoderConfig.fromMetadata(ae), s, file);
    }

    /**
     * Refuses an autoencoder other than this space's: another configuration or other weights.
     *
     * @throws IllegalArgumentException naming both and what differs
     */
    public void check(Autoencoder ae, String source) {
        if (!ae.config().equals(autoencoder)) {
            throw new IllegalArgumentException(source + " is " + ae.config() + "; this model was trained on the latents of "
                    + autoencoder + " (" + autoencoderFile + ")");
        }
        String got = ae.fingerprint();
        if (!got.equals(fingerprint)) {
            throw new IllegalArgumentException(source + " has other weights (fingerprint " + got.substring(0, 12)
                    + "…) than the autoencoder this model was trained on (" + autoencoderFile + ", fingerprint "
                    + fingerprint.substring(0, Math.min(12, fingerprint.length())) + "…)");
        }
    }

    /** The latent shape (w, w, c) the diffusion model works on. */
    public int[] latentShape() {
        return new int[] {autoencoder.latentSize(), autoencoder.latentSize(), autoencoder.latentChannels()};
    }

    /**
     * Images from the diffusion model's latents x (each w·w·c values): z = x / s decoded by
     * {@code ae} (checked first), clipped to [−1, 1], in batches of {@code batch}.
     */
    public float[][] decode(Context ctx, Autoencoder ae, float[][] latents, int batch) {
        check(ae, "the autoencoder");
        int per = autoencoder.latentSize() * autoencoder.latentSize() * autoencoder.latentChannels();
        float[][] out = new float[latents.length][];
        for (int first = 0; first < latents.length; first += batch) {
            int b = Math.min(batch, latents.length - first);
            float[] z = new float[b * per];
            for (int i = 0; i < b; i++) {
                if (latents[first + i].length != per) {
                    throw new IllegalArgumentException("latent " + (first + i) + " has " + latents[first + i].length
                            + " values; expected " + per);
                }
                for (int j = 0; j < per; j++) {
                    z[i * per + j] = (float) (latents[first + i][j] / scaleFactor);
                }
            }
            try (Tensor tz = Tensor.of(ctx, z, autoencoder.latentShape(b)); Tensor x = ae.decode(ctx, tz)) {
                float[] v = x.toArray();
                int d = v.length / b;
                for (int i = 0; i < b; i++) {
                    float[] img = Arrays.copyOfRange(v, i * d, (i + 1) * d);
                    for (int j = 0; j < d; j++) {
                        img[j] = Math.max(-1f, Math.min(1f, img[j]));
                    }
                    out[first + i] = img;
                }
            }
        }
        return out;
    }
}
