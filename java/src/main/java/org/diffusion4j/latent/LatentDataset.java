package org.diffusion4j.latent;

import java.util.List;
import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.data.ImageDataset;
import org.diffusion4j.nn.Autoencoder;
import org.diffusion4j.nn.AutoencoderConfig;

/**
 * A data set's images encoded once by an autoencoder — each the mode μ of q(z|x), times the
 * scale factor that gives the whole set unit variance — as an {@link ImageDataset} of w×w×c
 * "images" with the original labels: what the diffusion trainer reads to train in latent space.
 */
public final class LatentDataset implements ImageDataset {
    private final float[][] latents;
    private final int[] labels;
    private final List<String> classNames;
    private final int size;
    private final int channels;
    private final double scaleFactor;

    private LatentDataset(float[][] latents, int[] labels, List<String> classNames, int size, int channels,
            double scaleFactor) {
        this.latents = latents;
        this.labels = labels;
        this.classNames = classNames;
        this.size = size;
        this.channels = channels;
        this.scaleFactor = scaleFactor;
    }

    /**
     * Encodes every image of {@code data} (batches of {@code batch}) and scales the latents by
     * s = 1/std over all their values (mean included: latent diffusion's estimate).
     *
     * @throws IllegalArgumentException when the images do not fit the autoencoder
     */
    public static LatentDataset encode(Context ctx, Autoencoder ae, ImageDataset data, int batch) {
        Objects.requireNonNull(ae, "autoencoder");
        AutoencoderConfig c = ae.config();
        if (data.height() != c.imageSize() || data.width() != c.imageSize() || data.channels() != c.channels()) {
            throw new IllegalArgumentException("the images are " + data.height() + "×" + data.width() + "×" + data.channels()
                    + " but the autoencoder takes " + c.imageSize() + "×" + c.imageSize() + "×" + c.channels());
        }
        if (data.size() < 2 || batch < 1) {
            throw new IllegalArgumentException(data.size() + " images and batch " + batch + ": need >= 2 and >= 1");
        }
        int per = c.latentSize() * c.latentSize() * c.latentChannels();
        float[][] z = new float[data.size()][];
        double sum = 0;
        double sumSq = 0;
        for (int first = 0; first < data.size(); first += batch) {
            int b = Math.min(batch, data.size() - first);
            try (Tensor tx = data.batch(ctx, first, b); Tensor tz = ae.encode(ctx, tx, false)) {
                float[] v = tz.toArray();
                for (int i = 0; i < b; i++) {
                    z[first + i] = java.util.Arrays.copyOfRange(v, i * per, (i + 1) * per);
                }
                for (float f : v) {
                    sum += f;
                    sumSq += (double) f * f;
                }
            }
        }
        long n = (long) data.size() * per;
        double mean = sum / n;
        double std = Math.sqrt(Math.max(0, sumSq / n - mean * mean));
        if (!(std > 0)) {
            throw new IllegalArgumentException("the latents have no spread (std " + std + "): is the autoencoder trained?");
        }
        double s = 1 / std;
        for (float[] row : z) {
            for (int j = 0; j < row.length; j++) {
                row[j] = (float) (row[j] * s);
            }
        }
        int[] labels = new int[data.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = data.label(i);
        }
        return new LatentDataset(z, labels, data.classNames(), c.latentSize(), c.latentChannels(), s);
    }

    /** s, the factor the latents were multiplied by (1 / their standard deviation). */
    public double scaleFactor() {
        return scaleFactor;
    }

    @Override
    public int size() {
        return latents.length;
    }

    @Override
    public int height() {
        return size;
    }

    @Override
    public int width() {
        return size;
    }

    @Override
    public int channels() {
        return channels;
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public int label(int index) {
        return labels[index];
    }

    /** Latent {@code index} (scaled), w·w·c values. */
    @Override
    public float[] image(int index) {
        return latents[index];
    }
}
