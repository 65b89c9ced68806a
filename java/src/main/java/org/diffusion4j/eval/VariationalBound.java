package org.diffusion4j.eval;

import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import org.diffusion4j.Context;
import org.diffusion4j.Seeds;
import org.diffusion4j.Tensor;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.GaussianDiffusion;
import org.diffusion4j.diffusion.ModelOutput;
import org.diffusion4j.diffusion.VarianceType;
import org.diffusion4j.ops.KeyedNoise;

/**
 * The variational bound on the negative log-likelihood of 8-bit images (DDPM eq. 5), in bits per
 * dimension, for a model with fixed or learned reverse variance:
 * <pre>
 * L_vlb = L_T + Σ_{t=1}^{T−1} L_t + L_0            (0-based timestep indices of the diffusion)
 * L_T   = KL(q(x_T | x_0) ‖ N(0, I))                   (closed form: no sampling)
 * L_t   = E_{x_{t+1}} KL(q(x_t | x_{t+1}, x_0) ‖ p_θ(x_t | x_{t+1}))
 * L_0   = E_{x_1} −log p_θ(x_0 | x_1)                  (the discretized Gaussian decoder)
 * </pre>
 * Written with the diffusion's indices: the term at index t ≥ 1 draws x_t ~ q(x_t | x_0) and
 * compares the posterior N(μ̃(x_t, x_0), β̃_t) with the model's N(μ_θ, Σ_θ); the term at index
 * 0 draws x_t at index 0 and scores x_0 under the decoder. As in improved-diffusion
 * ({@code _vb_terms_bpd}, {@code calc_bpd_loop}):
 * <ul>
 * <li>μ_θ = μ̃(x_t, x̂_0), x̂_0 the model output converted by {@link GaussianDiffusion#convert},
 *     so ε-, x_0- and v-prediction all work; x̂_0 is not clipped (improved-diffusion's
 *     {@code image_nll.py} clips by default, which scores a different model than the one that
 *     samples unclipped);</li>
 * <li>fixed variance: Σ_θ = {@link GaussianDiffusion#fixedLogVariance}, σ_t² (β_t or β̃_t) for
 *     t ≥ 1 and at t = 0 for both fixed types β̃ at index 1, improved-diffusion's clipped
 *     log-variance (β̃ at 0 is 0, and its FIXED_LARGE replaces β_0 by the same β̃ "to get a
 *     better decoder log likelihood"); learned variance ({@link VarianceType#LEARNED_RANGE}):
 *     Σ_θ per element from the model's second C channels by
 *     {@link GaussianDiffusion#learnedLogVariance}, at t = 0 too;</li>
 * <li>the decoder gives x_0's 8-bit bin [x − 1/255, x + 1/255] the mass of N(μ_θ, σ²) over it,
 *     the outer bins extended to ±∞, with log Φ computed in the tails
 *     ({@link org.diffusion4j.diffusion.StandardNormal#logProbability}) instead of improved-diffusion's tanh approximation
 *     and 1e-12 clamp.</li>
 * </ul>
 * Each term is {@link GaussianDiffusion#vlbTerms}, the closed forms of
 * {@link org.diffusion4j.diffusion.GaussianLosses} that the hybrid training loss uses too; since
 * both means are c0 (·) + c1 x_t, μ̃ − μ_θ = c0 (x_0 − x̂_0), computed on the host in float64 from
 * the downloaded x_t and model output. x_t is drawn by
 * {@link KeyedNoise} with one (√ᾱ_t, √(1 − ᾱ_t)) pair per run of images at one t, keyed by
 * (derive(seed, {@link Seeds.Purpose#BOUND_NOISE}), stream t, id = the image's index in
 * {@code images}): a result depends on the seed, not on the batch size or the device. A model
 * call takes a full batch of terms, at several timesteps when the strata spread the images'
 * draws (the runs are then assembled on the host).
 *
 * <h2>Estimator and standard error</h2>
 * With {@code strata = 0} every term t = 0 .. T − 1 is evaluated for every image (one draw of
 * x_t per term). With {@code strata = K} (1 ≤ K ≤ T − 1) the indices 1 .. T − 1 are cut into K
 * contiguous geometric strata S_k = [s_k, s_{k+1}), s_k ≈ T^{k/K} (see {@link #strataStarts}; the
 * first strata hold single indices when T^{1/K} < 1.5), and for each image independently one
 * t_k is drawn uniformly in each S_k; L_0 and L_T are always evaluated. Geometric rather than
 * equal strata because the terms fall off roughly as 1/t from t = 1 (Improved DDPM, Fig. 2): for
 * the exact model of Gaussian data with T = 200 and K = 10, equal strata give a per-image
 * standard deviation of about 6 bits/dim (a first stratum of 20 indices whose term ranges over
 * a factor 30), geometric ones 0.3. The estimate of image i is
 * <pre>
 * B̂_i = L_T,i + L_0,i + Σ_k |S_k| L_{t_k},i
 * </pre>
 * unbiased for image i's bound (over the draws of t and x_t). The result is the mean over the N
 * images of B̂_i / (D ln 2) bits per dimension (D = H·W·C), and its standard error is
 * sd_i(B̂_i / (D ln 2)) / √N: the standard error of the data set's bound as an estimate of the
 * data distribution's, which includes the variation between images as well as that of the
 * timestep and noise draws (so as the error of the estimate of these N images' own full sum it
 * is conservative). Timesteps are drawn per image from one SplittableRandom seeded by
 * derive(seed, {@link Seeds.Purpose#BOUND_TIMESTEPS}), image 0's K draws first.
 */
public final class VariationalBound {
    private static final double LN2 = Math.log(2.0);

    private VariationalBound() {}

    /**
     * The bound in bits per dimension and its parts; the parts add up to the total.
     *
     * @param bitsPerDim the mean over images of the estimated bound B̂_i / (D ln 2)
     * @param standardError sd over images of B̂_i / (D ln 2), divided by √N (NaN for one image)
     * @param priorBpd the mean of L_T
     * @param decoderBpd the mean of L_0
     * @param klBpd the mean of the (estimated) sum of the KL terms t = 1 .. T − 1
     * @param images N
     * @param strata K, or 0 when every term was evaluated
     * @param termsEvaluated model evaluations made (image × timestep)
     */
    public record Result(double bitsPerDim, double standardError, double priorBpd, double decoderBpd, double klBpd,
            int images, int strata, long termsEvaluated) {}

    /** Called after each batch of terms; returning false cancels. */
    @FunctionalInterface
    public interface Progress {
        /** Never cancels. */
        Progress NONE = (done, total) -> true;

        /**
         * @param done image × timestep terms evaluated so far
         * @param total terms in all
         * @return false to stop: the bound then throws {@link CancellationException}
         */
        boolean onBatch(long done, long total);
    }

    /**
     * Estimates the bound of {@code model} under {@code diffusion} on {@code images}.
     *
     * @param ctx the context the model runs on
     * @param model the denoiser, in {@code diffusion}'s {@link ModelOutput} parameterisation (with
     *     2C output channels, mean then raw variance, for learned variance)
     * @param diffusion the process (T ≥ 2)
     * @param images N images, each H·W·C values (NHWC order) in [−1, 1], ideally on the 8-bit grid
     *     −1 + 2k/255 (an off-grid value is scored in its nearest level's bin)
     * @param shape {H, W, C}
     * @param labels one class per image, or null for an unconditional model
     * @param batch the most images per model call
     * @param strata K strata of timesteps 1 .. T − 1, or 0 for all T terms
     * @param seed keys the noise and the timestep draws
     * @param progress called after each batch, or null
     * @throws CancellationException when progress returns false
     */
    public static Result bitsPerDim(Context ctx, Denoiser model, GaussianDiffusion diffusion, float[][] images,
            int[] shape, int[] labels, int batch, int strata, long seed, Progress progress) {
        Objects.requireNonNull(ctx, "ctx");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(diffusion, "diffusion");
        int timesteps = diffusion.timesteps();
        if (timesteps < 2) {
            throw new IllegalArgumentException("the diffusion has " + timesteps + " timestep; the bound needs at least 2");
        }
        int dim = checkShape(shape);
        checkImages(images, dim);
        int n = images.length;
        if (labels != null && labels.length != n) {
            throw new IllegalArgumentException("labels has " + labels.length + " entries but there are " + n + " images");
        }
        if (batch < 1) {
            throw new IllegalArgumentException("batch is " + batch + "; it must be at least 1");
        }
        if (strata < 0 || strata > timesteps - 1) {
            throw new IllegalArgumentException("strata is " + strata + "; it must be 0 (all terms) to " + (timesteps - 1)
                    + " (T − 1)");
        }
        Progress cb = progress == null ? Progress.NONE : progress;

        // which images visit which timestep, and the weight of a term at t (its stratum's size)
        int[][] imagesAt = new int[timesteps][];
        double[] weight = new double[timesteps];
        plan(timesteps, n, strata, seed, imagesAt, weight);
        long total = 0;
        for (int[] at : imagesAt) {
            total += at.length;
        }

        double[] prior = new double[n];
        double[] decoder = new double[n];
        double[] kl = new double[n];
        double abLast = diffusion.alphaBar(timesteps - 1);
        for (int i = 0; i < n; i++) {
            prior[i] = priorKl(images[i], abLast);
        }

        // the (image, t) terms in order of descending t, then image: a batch holds consecutive
        // terms, so at most a few timesteps, and each image's terms add up in the same order
        // whatever the batch size
        int[] jobImage = new int[(int) total];
        int[] jobT = new int[(int) total];
        int j = 0;
        for (int t = timesteps - 1; t >= 0; t--) {
            for (int i : imagesAt[t]) {
                jobImage[j] = i;
                jobT[j++] = t;
            }
        }
        long noiseKey = Seeds.derive(seed, Seeds.Purpose.BOUND_NOISE);
        for (int start = 0; start < total; start += batch) {
            int end = (int) Math.min(total, start + (long) batch);
            evaluate(ctx, model, diffusion, images, shape, labels, Arrays.copyOfRange(jobImage, start, end),
                    Arrays.copyOfRange(jobT, start, end), noiseKey, weight, decoder, kl);
            if (!cb.onBatch(end, total)) {
                throw new CancellationException("the variational bound was cancelled after " + end + " of " + total
                        + " terms");
            }
        }

        double toBits = 1.0 / (dim * LN2);
        double[] bpd = new double[n];
        double sumPrior = 0;
        double sumDecoder = 0;
        double sumKl = 0;
        for (int i = 0; i < n; i++) {
            bpd[i] = (prior[i] + decoder[i] + kl[i]) * toBits;
            sumPrior += prior[i] * toBits;
            sumDecoder += decoder[i] * toBits;
            sumKl += kl[i] * toBits;
        }
        double mean = 0;
        for (double b : bpd) {
            mean += b;
        }
        mean /= n;
        double ss = 0;
        for (double b : bpd) {
            ss += (b - mean) * (b - mean);
        }
        double se = n < 2 ? Double.NaN : Math.sqrt(ss / (n - 1) / n);
        return new Result(mean, se, sumPrior / n, sumDecoder / n, sumKl / n, n, strata, total);
    }

    /**
     * Fills imagesAt[t] (the images whose term at t is evaluated, ascending) and weight[t] (the
     * size of t's stratum: what that term's value counts for).
     */
    private static void plan(int timesteps, int n, int strata, long seed, int[][] imagesAt, double[] weight) {
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = i;
        }
        imagesAt[0] = all;
        weight[0] = 1;
        if (strata == 0) {
            for (int t = 1; t < timesteps; t++) {
                imagesAt[t] = all;
                weight[t] = 1;
            }
            return;
        }
        int[] lo = strataStarts(timesteps, strata);
        int[] size = new int[strata];
        for (int k = 0; k < strata; k++) {
            int hi = k + 1 < strata ? lo[k + 1] : timesteps;
            size[k] = hi - lo[k];
            for (int t = lo[k]; t < hi; t++) {
                weight[t] = size[k];
            }
        }
        int[] count = new int[timesteps];
        int[][] drawn = new int[n][strata];
        SplittableRandom rng = new SplittableRandom(Seeds.derive(seed, Seeds.Purpose.BOUND_TIMESTEPS));
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < strata; k++) {
                int t = lo[k] + rng.nextInt(size[k]);
                drawn[i][k] = t;
                count[t]++;
            }
        }
        for (int t = 1; t < timesteps; t++) {
            imagesAt[t] = new int[count[t]];
        }
        int[] fill = new int[timesteps];
        for (int i = 0; i < n; i++) {
            for (int t : drawn[i]) {
                imagesAt[t][fill[t]++] = i;
            }
        }
    }

    /**
     * The first index of each of the K geometric strata of 1 .. T − 1: s_0 = 1, s_k = round(T^{k/K})
     * raised to s_{k−1} + 1 and lowered to T − (K − k) so that every stratum holds at least one
     * index; stratum k is [s_k, s_{k+1}), the last ending at T.
     */
    static int[] strataStarts(int timesteps, int strata) {
        int[] lo = new int[strata];
        lo[0] = 1;
        for (int k = 1; k < strata; k++) {
            int g = (int) Math.round(Math.pow(timesteps, (double) k / strata));
            lo[k] = Math.min(Math.max(g, lo[k - 1] + 1), timesteps - (strata - k));
        }
        return lo;
    }

    /**
     * The terms of one batch, sample j being image {@code image[j]} at index {@code t[j]} (equal
     * t's adjacent): x_t drawn per run of equal t by {@link KeyedNoise} (one (√ᾱ_t, √(1 − ᾱ_t))
     * pair per run, stream t, id = the image index), the model run once on the whole batch, each
     * term added to its image's decoder or KL sum, the KL weighted by its stratum's size.
     */
    private static void evaluate(Context ctx, Denoiser model, GaussianDiffusion diffusion, float[][] images, int[] shape,
            int[] labels, int[] image, int[] t, long noiseKey, double[] weight, double[] decoder, double[] kl) {
        int b = image.length;
        int dim = images[0].length;
        int[] y = labels == null ? null : new int[b];
        int[] modelT = new int[b];
        for (int j = 0; j < b; j++) {
            modelT[j] = diffusion.modelTimestep(t[j]);
            if (y != null) {
                y[j] = labels[image[j]];
            }
        }
        int[] batchShape = {b, shape[0], shape[1], shape[2]};
        float[] xt = null; // assembled on the host when the batch holds several timesteps
        float[] out;
        Tensor xtt = null;
        try {
            for (int start = 0; start < b; ) {
                int end = start + 1;
                while (end < b && t[end] == t[start]) {
                    end++;
                }
                int len = end - start;
                float[] x0 = new float[len * dim];
                long[] ids = new long[len];
                for (int j = 0; j < len; j++) {
                    System.arraycopy(images[image[start + j]], 0, x0, j * dim, dim);
                    ids[j] = image[start + j];
                }
                double ab = diffusion.alphaBar(t[start]);
                Tensor run = Tensor.of(ctx, x0, len, shape[0], shape[1], shape[2]);
                try {
                    KeyedNoise.apply(ctx, run, run, (float) Math.sqrt(ab), (float) Math.sqrt(1 - ab), noiseKey, t[start], ids);
                } catch (RuntimeException e) {
                    run.close();
                    throw e;
                }
                if (len == b) {
                    xtt = run;
                } else {
                    try (run) {
                        xt = xt == null ? new float[b * dim] : xt;
                        System.arraycopy(run.toArray(), 0, xt, start * dim, len * dim);
                    }
                }
                start = end;
            }
            if (xtt == null) {
                xtt = Tensor.of(ctx, xt, batchShape);
            } else {
                xt = xtt.toArray();
            }
            try (Tensor outt = Tensor.empty(ctx, diffusion.outputShape(batchShape))) {
                model.predict(ctx, outt, xtt, modelT, y);
                out = outt.toArray();
            }
        } finally {
            if (xtt != null) {
                xtt.close();
            }
        }
        int channels = shape[2];
        float[] x0 = new float[b * dim];
        float[] mean = out;
        float[] raw = null;
        for (int j = 0; j < b; j++) {
            System.arraycopy(images[image[j]], 0, x0, j * dim, dim);
        }
        if (diffusion.variance() == VarianceType.LEARNED_RANGE) { // NHWC: per pixel C mean values, then C raw variances
            mean = new float[b * dim];
            raw = new float[b * dim];
            for (int p = 0; p < b * dim / channels; p++) {
                System.arraycopy(out, 2 * p * channels, mean, p * channels, channels);
                System.arraycopy(out, (2 * p + 1) * channels, raw, p * channels, channels);
            }
        }
        double[] terms = diffusion.vlbTerms(x0, xt, mean, raw, t, null);
        for (int j = 0; j < b; j++) {
            if (t[j] == 0) {
                decoder[image[j]] += terms[j];
            } else {
                kl[image[j]] += weight[t[j]] * terms[j];
            }
        }
    }

    /** L_T of one image: Σ_e KL(N(√ᾱ x_e, 1 − ᾱ) ‖ N(0, 1)), ᾱ at the last index. */
    static double priorKl(float[] image, double alphaBarLast) {
        double mean2 = 0;
        for (float x : image) {
            mean2 += (double) x * x;
        }
        // Σ_e ½(−1 − log v + v + ᾱ x_e²), v = 1 − ᾱ
        double v = 1 - alphaBarLast;
        return 0.5 * (image.length * (-1 - Math.log(v) + v) + alphaBarLast * mean2);
    }

    /** nats / (dims · ln 2). */
    public static double toBitsPerDim(double nats, long dims) {
        if (dims < 1) {
            throw new IllegalArgumentException("dims is " + dims + "; it must be at least 1");
        }
        return nats / (dims * LN2);
    }

    private static int checkShape(int[] shape) {
        Objects.requireNonNull(shape, "shape");
        if (shape.length != 3 || shape[0] < 1 || shape[1] < 1 || shape[2] < 1) {
            throw new IllegalArgumentException("shape is " + Arrays.toString(shape) + "; it must be {H, W, C}, each >= 1");
        }
        long dim = (long) shape[0] * shape[1] * shape[2];
        if (dim > Integer.MAX_VALUE / 2) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " is too large");
        }
        return (int) dim;
    }

    private static void checkImages(float[][] images, int dim) {
        Objects.requireNonNull(images, "images");
        if (images.length == 0) {
            throw new IllegalArgumentException("images is empty");
        }
        for (int i = 0; i < images.length; i++) {
            float[] im = images[i];
            if (im == null || im.length != dim) {
                throw new IllegalArgumentException("image " + i + " has " + (im == null ? "no" : im.length)
                        + " values; the shape needs " + dim);
            }
            for (int e = 0; e < dim; e++) {
                if (!(Math.abs(im[e]) <= 1.0f + 1e-6f)) {
                    throw new IllegalArgumentException("image " + i + " value " + e + " is " + im[e]
                            + "; images must be in [-1, 1]");
                }
            }
        }
    }
}
