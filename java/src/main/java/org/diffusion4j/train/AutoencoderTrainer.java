package org.diffusion4j.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.data.ImageDataset;
import org.diffusion4j.nn.Autoencoder;
import org.diffusion4j.nn.AutoencoderConfig;
import org.diffusion4j.ops.Add;
import org.diffusion4j.ops.GaussianKl;
import org.diffusion4j.ops.LatentSample;
import org.diffusion4j.ops.MseLoss;

/**
 * Trains an {@link Autoencoder} as a β-weighted VAE: per step, moments = enc(x), z = μ + e^{ℓ/2} ε,
 * x̂ = dec(z) and the loss
 * <pre>
 *   L = (1/D) ‖x − x̂‖² + β · KL(q(z|x) ‖ N(0, I)) / D        (per image, averaged over the batch)
 * </pre>
 * with D the pixels of an image: the negative ELBO of a Gaussian decoder N(x̂, σ² I) with σ² = β/2,
 * scaled by 2σ²/D and less its constant (β = 1e-3: σ ≈ 0.022, a third of an 8-bit level of the
 * [−1, 1] range, so reconstructions stay sharp and the latent stays near the prior). AdamW with
 * warm-up and cosine decay over epochs of the seeded data order, as the classifiers train; after
 * each epoch the held-out reconstruction error (the latent's mode) and KL.
 */
public final class AutoencoderTrainer extends EpochTraining {
    /** Latent diffusion-like KL weight for the Fashion-MNIST run (see the class comment). */
    public static final double DEFAULT_BETA = 1e-3;

    /** What one epoch did: mean training loss, held-out reconstruction MSE and KL (nats per image), time so far. */
    public record Epoch(int epoch, long steps, double trainLoss, double testMse, double testKl, double seconds) {}

    /** What {@link #fit} did: every epoch. */
    public record Summary(List<Epoch> epochs, double seconds) {}

    /** Hears about training: every 50 steps and after every epoch. */
    public interface Listener {
        Listener NONE = new Listener() {};

        default void onSteps(long step, long totalSteps, double meanLoss, double seconds) {}

        default void onEpoch(Epoch epoch) {}
    }

    private final Autoencoder ae;
    private final float beta;
    private final Tensor rec;
    private final Tensor kl;
    private Tensor z;
    private Tensor eps;
    private Tensor dx;
    private Tensor dm;

    /**
     * @param beta β >= 0, the KL weight (0: a plain autoencoder with noisy latents)
     */
    public AutoencoderTrainer(Context ctx, Autoencoder ae, ClassifierTrainer.Config config, float beta) {
        super(ctx, Objects.requireNonNull(ae, "autoencoder").parameters(), config);
        if (!(beta >= 0) || Float.isInfinite(beta)) {
            throw new IllegalArgumentException("beta is " + beta + "; it must be finite and >= 0");
        }
        this.ae = ae;
        this.beta = beta;
        rec = Tensor.empty(ctx, 1);
        kl = Tensor.empty(ctx, 1);
    }

    public Autoencoder autoencoder() {
        return ae;
    }

    public float beta() {
        return beta;
    }

    /** One optimizer step on images (N, W, W, C); labels are ignored. */
    @Override
    public void trainStep(Tensor images, int[] labels) {
        Objects.requireNonNull(images, "images");
        AutoencoderConfig c = ae.config();
        int n = images.dim(0);
        int pixels = images.dim(1) * images.dim(2) * images.dim(3);
        ae.zeroGrad();
        Tensor moments = ae.encoder().forward(ctx, images);
        if (z == null || z.dim(0) != n) { // the step's buffers, kept while the batch size stays
            closeBuffers();
            z = Tensor.empty(ctx, c.latentShape(n));
            eps = Tensor.empty(ctx, c.latentShape(n));
            dx = Tensor.empty(ctx, images.shape());
            dm = Tensor.empty(ctx, moments.shape());
        }
        LatentSample.forward(ctx, z, eps, moments);
        Tensor xHat = ae.decoder().forward(ctx, z);
        MseLoss.forward(ctx, rec, dx, xHat, images); // (1/(N D)) Σ ‖x − x̂‖²: the batch mean of (1/D)‖x − x̂‖²
        GaussianKl.forward(ctx, kl, dm, moments, beta / pixels);
        Add.forward(ctx, loss, rec, kl);
        Tensor dz = ae.decoder().backward(ctx, dx);
        LatentSample.backward(ctx, dm, dz, eps, moments);
        ae.encoder().backwardWeights(ctx, dm); // the images need no gradient
        optimizerStep();
    }

    /**
     * Trains for the config's epochs of {@code train}, measuring the reconstruction error and KL
     * on (up to 2000 images of) {@code test} after each.
     */
    public Summary fit(ImageDataset train, ImageDataset test, Listener listener) {
        Listener l = listener == null ? Listener.NONE : listener;
        AutoencoderConfig c = ae.config();
        check(c.imageSize(), c.channels(), train.classNames().size(), train, "training", "autoencoder");
        check(c.imageSize(), c.channels(), test.classNames().size(), test, "test", "autoencoder");
        Run run = begin(train);
        List<Epoch> epochs = new ArrayList<>();
        ClassifierTrainer.Listener steps = new ClassifierTrainer.Listener() {
            @Override
            public void onSteps(long step, long totalSteps, double meanLoss, double seconds) {
                l.onSteps(step, totalSteps, meanLoss, seconds);
            }
        };
        for (int e = 0; e < config.epochs(); e++) {
            double trainLoss = epoch(run, steps);
            double[] r = reconstruction(ctx, ae, test, Math.min(2000, test.size()));
            Epoch done = new Epoch(e + 1, step(), trainLoss, r[0], r[1], run.seconds());
            epochs.add(done);
            l.onEpoch(done);
        }
        return new Summary(List.copyOf(epochs), run.seconds());
    }

    /**
     * Over the first {@code count} images of {@code data}: the mean squared error per pixel of the
     * reconstruction from the latent's mode, and the mean KL(q(z|x) ‖ N(0, I)) in nats per image.
     */
    public static double[] reconstruction(Context ctx, Autoencoder ae, ImageDataset data, int count) {
        return errors(ctx, ae, data, count, false);
    }

    /**
     * σ² of the Gaussian decoder by maximum likelihood on the first {@code count} images of
     * {@code train}: the mean squared error per pixel of reconstructions from sampled latents.
     */
    public double decoderVariance(ImageDataset train, int count) {
        return errors(ctx, ae, train, count, true)[0];
    }

    /** {mean squared error per pixel, mean KL per image} over the first count images, z sampled or the mode. */
    private static double[] errors(Context ctx, Autoencoder ae, ImageDataset data, int count, boolean sample) {
        if (count < 1 || count > data.size()) {
            throw new IllegalArgumentException("count is " + count + "; the data set has " + data.size() + " images");
        }
        int pixels = data.height() * data.width() * data.channels();
        double se = 0;
        double klSum = 0;
        int batch = 250;
        try (Tensor l = Tensor.empty(ctx, 1)) {
            for (int first = 0; first < count; first += batch) {
                int n = Math.min(batch, count - first);
                int[] latent = ae.config().latentShape(n);
                try (Tensor images = data.batch(ctx, first, n); Tensor z = Tensor.empty(ctx, latent);
                        Tensor eps = sample ? Tensor.empty(ctx, latent) : null) {
                    Tensor moments = ae.encoder().forward(ctx, images);
                    GaussianKl.forward(ctx, l, null, moments, 1f);
                    klSum += l.toArray()[0] * (double) n;
                    LatentSample.forward(ctx, z, eps, moments);
                    MseLoss.forward(ctx, l, null, ae.decoder().forward(ctx, z), images);
                    se += l.toArray()[0] * (double) n * pixels;
                }
            }
        }
        return new double[] {se / ((double) count * pixels), klSum / count};
    }

    /** Writes the autoencoder with σ² and what it was trained on (class names, data, config, β, the epoch log). */
    public void save(Path file, double decoderVariance, List<String> classNames, String dataName, Summary summary)
            throws IOException {
        Map<String, String> extra = runMetadata(classNames, dataName);
        extra.put("beta", Float.toString(beta));
        StringBuilder log = new StringBuilder();
        for (Epoch e : summary.epochs()) {
            log.append(String.format("epoch %d: train loss %.5f, test mse %.5f, test kl %.2f nats, %.0f s%n", e.epoch(),
                    e.trainLoss(), e.testMse(), e.testKl(), e.seconds()));
        }
        extra.put("train_log", log.toString().strip());
        ae.save(file, decoderVariance, extra);
    }

    private void closeBuffers() {
        for (Tensor t : new Tensor[] {z, eps, dx, dm}) {
            if (t != null) {
                t.close();
            }
        }
    }

    @Override
    public void close() {
        super.close();
        rec.close();
        kl.close();
        closeBuffers();
    }
}
