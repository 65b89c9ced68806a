package org.diffusion4j.eval;

import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.diffusion.GaussianLosses;
import org.diffusion4j.nn.Autoencoder;
import org.diffusion4j.ops.GaussianKl;
import org.diffusion4j.ops.LatentSample;

/**
 * The VAE's negative ELBO in bits/dim, the bound the diffusion models' {@link VariationalBound}
 * is compared with (both upper-bound −log p(x) of 8-bit data on [−1, 1]):
 * <pre>
 *   −ELBO(x) = E_{q(z|x)}[−log p(x|z)] + KL(q(z|x) ‖ N(0, I)),   bits/dim = −ELBO / (D ln 2)
 * </pre>
 * with p(x|z) the discretized Gaussian decoder N(x̂(z), σ² I) over the 256 bins (the same decoder
 * as the diffusion bound's L_0), σ² the autoencoder's recorded decoder variance, the expectation
 * estimated by one z per image (unbiased), KL in closed form; the standard error is over images.
 */
public final class VaeBound {
    private VaeBound() {}

    /** Bits/dim with its standard error, and its two parts (bits/dim), over {@code images} images. */
    public record Result(double bitsPerDim, double standardError, double reconstructionBpd, double klBpd, int images) {}

    /**
     * @param images each H·W·C values in [−1, 1]
     * @param shape (H, W, C)
     * @param seed the seed of the latent samples z (the context's stream is restored afterwards)
     */
    public static Result bitsPerDim(Context ctx, Autoencoder ae, float[][] images, int[] shape, int batch, long seed) {
        Objects.requireNonNull(ae, "autoencoder");
        double variance = ae.decoderVariance();
        if (!(variance > 0)) {
            throw new IllegalArgumentException("the autoencoder records no decoder variance (save and load it first)");
        }
        if (images.length < 2 || batch < 1) {
            throw new IllegalArgumentException(images.length + " images and batch " + batch + ": need >= 2 and >= 1");
        }
        double logScale = 0.5 * Math.log(variance);
        int d = shape[0] * shape[1] * shape[2];
        double ln2d = Math.log(2) * d;
        long savedSeed = ctx.seed();
        long savedOffset = ctx.rngOffset();
        ctx.setRng(seed, 0);
        double sum = 0;
        double sumSq = 0;
        double recSum = 0;
        double klSum = 0;
        try (Tensor kl = Tensor.empty(ctx, 1)) {
            for (int first = 0; first < images.length; first += batch) {
                int n = Math.min(batch, images.length - first);
                float[] x = new float[n * d];
                for (int i = 0; i < n; i++) {
                    if (images[first + i].length != d) {
                        throw new IllegalArgumentException("image " + (first + i) + " has " + images[first + i].length
                                + " values; expected " + d);
                    }
                    System.arraycopy(images[first + i], 0, x, i * d, d);
                }
                int[] latent = ae.config().latentShape(n);
                try (Tensor tx = Tensor.of(ctx, x, n, shape[0], shape[1], shape[2]); Tensor z = Tensor.empty(ctx, latent);
                        Tensor eps = Tensor.empty(ctx, latent)) {
                    Tensor moments = ae.encoder().forward(ctx, tx);
                    LatentSample.forward(ctx, z, eps, moments);
                    float[] m = moments.toArray();
                    float[] xHat = ae.decoder().forward(ctx, z).toArray();
                    int per = m.length / n;
                    int c = ae.config().latentChannels();
                    for (int i = 0; i < n; i++) {
                        double rec = 0;
                        for (int e = i * d; e < (i + 1) * d; e++) {
                            rec -= GaussianLosses.discretizedLogLikelihood(x[e], xHat[e], logScale);
                        }
                        double k = 0;
                        for (int p = i * per; p < (i + 1) * per; p += 2 * c) {
                            for (int j = 0; j < c; j++) {
                                double mu = m[p + j];
                                double l = Math.max(GaussianKl.LOGVAR_MIN, Math.min(GaussianKl.LOGVAR_MAX, m[p + c + j]));
                                k += 0.5 * (mu * mu + Math.exp(l) - 1 - l);
                            }
                        }
                        double bpd = (rec + k) / ln2d;
                        sum += bpd;
                        sumSq += bpd * bpd;
                        recSum += rec / ln2d;
                        klSum += k / ln2d;
                    }
                }
            }
        } finally {
            ctx.setRng(savedSeed, savedOffset);
        }
        int n = images.length;
        double mean = sum / n;
        double var = Math.max(0, (sumSq - n * mean * mean) / (n - 1));
        return new Result(mean, Math.sqrt(var / n), recSum / n, klSum / n, n);
    }
}
