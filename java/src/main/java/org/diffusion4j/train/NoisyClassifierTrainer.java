package org.diffusion4j.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.diffusion4j.Context;
import org.diffusion4j.Seeds;
import org.diffusion4j.Tensor;
import org.diffusion4j.data.ImageDataset;
import org.diffusion4j.diffusion.GaussianDiffusion;
import org.diffusion4j.nn.NoisyClassifier;
import org.diffusion4j.nn.UNetConfig;
import org.diffusion4j.ops.KeyedNoise;
import org.diffusion4j.ops.SoftmaxCrossEntropy;

/**
 * Trains a {@link NoisyClassifier} p_φ(y | x_t, t) for classifier guidance (Dhariwal &amp; Nichol
 * 2021 §4): each step draws t uniformly in [0, T) per image, noises the images with the
 * diffusion's q(x_t | x_0), and minimises the softmax cross-entropy of the labels with AdamW
 * (linear warm-up, cosine decay; {@link ClassifierTrainer.Config}). Batches follow the seeded
 * epoch order of {@link DataOrder}; timesteps come from {@link Seeds.Purpose#TRAINING_CHOICES}
 * and the step, the noise from the context's Philox stream keyed by
 * {@link Seeds.Purpose#TRAINING_NOISE}. After each epoch: the held-out accuracy at a few
 * timesteps ({@link #accuracyAt}), since a guiding classifier must work across the chain.
 */
public final class NoisyClassifierTrainer extends EpochTraining {
    /** The timesteps of the per-epoch held-out accuracy (as fractions of T: 0, ¼, ½, ¾ and the last). */
    public static final double[] REPORT_FRACTIONS = {0, 0.25, 0.5, 0.75, 1};

    /** What one epoch did: its mean training loss, the held-out accuracy at {@link #timesteps}, the time so far. */
    public record Epoch(int epoch, long steps, double trainLoss, int[] timesteps, double[] testAccuracy, double seconds) {
        /** The accuracy against t as text: "t=0 0.7585, t=250 0.7265, ...". */
        public String accuracies() {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < timesteps.length; i++) {
                sb.append(i == 0 ? "" : ", ").append(String.format("t=%d %.4f", timesteps[i], testAccuracy[i]));
            }
            return sb.toString();
        }
    }

    private final NoisyClassifier net;
    private final GaussianDiffusion diffusion;
    private final long choicesKey;
    private Tensor xt;
    private Tensor eps;
    private Tensor dLogits;

    /** Sets ctx's random stream to the key {@link Seeds.Purpose#TRAINING_NOISE} of the config's seed. */
    public NoisyClassifierTrainer(Context ctx, NoisyClassifier net, GaussianDiffusion diffusion, ClassifierTrainer.Config config) {
        super(ctx, Objects.requireNonNull(net, "net").parameters(), config);
        this.net = net;
        this.diffusion = Objects.requireNonNull(diffusion, "diffusion");
        if (net.isFrozen()) {
            close();
            throw new IllegalArgumentException("the classifier is frozen; unfreeze it (setFrozen(false)) to train it");
        }
        choicesKey = Seeds.derive(config.seed(), Seeds.Purpose.TRAINING_CHOICES);
        ctx.setRng(Seeds.derive(config.seed(), Seeds.Purpose.TRAINING_NOISE), 0);
    }

    public NoisyClassifier net() {
        return net;
    }

    public GaussianDiffusion diffusion() {
        return diffusion;
    }

    /** The timesteps of the held-out accuracy: {@link #REPORT_FRACTIONS} of T − 1. */
    public int[] reportTimesteps() {
        int[] t = new int[REPORT_FRACTIONS.length];
        for (int i = 0; i < t.length; i++) {
            t[i] = (int) Math.round(REPORT_FRACTIONS[i] * (diffusion.timesteps() - 1));
        }
        return t;
    }

    /**
     * One optimizer step on clean images x0 (N, S, S, C) with their labels: t ~ U[0, T), x_t ~
     * q(x_t | x_0), forward, cross-entropy, backward, AdamW. The loss is added to a sum on the device.
     */
    @Override
    public void trainStep(Tensor x0, int[] labels) {
        Objects.requireNonNull(x0, "x0");
        Objects.requireNonNull(labels, "labels");
        int n = x0.dim(0);
        if (labels.length != n) {
            throw new IllegalArgumentException("labels has " + labels.length + " entries but x0 has " + n + " images");
        }
        SplittableRandom r = new SplittableRandom(choicesKey ^ (step() * 0x9E3779B97F4A7C15L));
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(diffusion.timesteps());
        }
        xt = reuse(xt, x0.shape());
        eps = reuse(eps, x0.shape());
        diffusion.qSample(ctx, xt, eps, x0, t);
        net.zeroGrad();
        Tensor logits = net.forward(ctx, xt, t, true);
        dLogits = reuse(dLogits, logits.shape());
        SoftmaxCrossEntropy.forward(ctx, loss, dLogits, logits, labels);
        net.backward(ctx, dLogits);
        optimizerStep();
    }

    private Tensor reuse(Tensor t, int[] shape) {
        if (t != null && java.util.Arrays.equals(t.shape(), shape)) {
            return t;
        }
        if (t != null) {
            t.close();
        }
        return Tensor.empty(ctx, shape);
    }

    /**
     * Trains for the config's epochs over {@code train} (each ⌊size / batch⌋ steps), measuring the
     * accuracy on up to {@code testImages} of {@code test} at {@link #reportTimesteps} after each
     * (told to {@code onEpoch}, or null); {@code listener} hears every 50 steps.
     *
     * @throws IllegalArgumentException when a data set does not fit the classifier (size, channels, classes)
     */
    public List<Epoch> fit(ImageDataset train, ImageDataset test, int testImages, ClassifierTrainer.Listener listener,
            Consumer<Epoch> onEpoch) {
        ClassifierTrainer.Listener l = listener == null ? ClassifierTrainer.Listener.NONE : listener;
        UNetConfig c = net.config();
        check(c.imageSize(), c.channels(), c.classes(), train, "training", "classifier");
        check(c.imageSize(), c.channels(), c.classes(), test, "test", "classifier");
        Run run = begin(train);
        List<Epoch> epochs = new ArrayList<>();
        int[] ts = reportTimesteps();
        for (int e = 0; e < config.epochs(); e++) {
            double trainLoss = epoch(run, l);
            double[] acc = new double[ts.length];
            for (int i = 0; i < ts.length; i++) {
                acc[i] = accuracyAt(ctx, net, diffusion, test, testImages, ts[i], config.seed());
            }
            Epoch done = new Epoch(e + 1, step(), trainLoss, ts.clone(), acc, run.seconds());
            epochs.add(done);
            if (onEpoch != null) {
                onEpoch.accept(done);
            }
        }
        return List.copyOf(epochs);
    }

    /**
     * The fraction of the first {@code limit} images of {@code data} whose class the classifier
     * predicts at timestep t from x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) z, z keyed by
     * {@link Seeds.Purpose#NOISY_ACCURACY} of {@code seed} (stream t, id the image's index): the
     * same noise for every classifier scored with the same seed.
     */
    public static double accuracyAt(Context ctx, NoisyClassifier net, GaussianDiffusion diffusion, ImageDataset data,
            int limit, int t, long seed) {
        Objects.requireNonNull(data, "data");
        if (t < 0 || t >= diffusion.timesteps()) {
            throw new IllegalArgumentException("t is " + t + "; it must be in [0, " + diffusion.timesteps() + ")");
        }
        int size = Math.min(limit, data.size());
        if (size < 1 || data.classNames().isEmpty()) {
            throw new IllegalArgumentException("accuracy needs labelled images; the data set has " + data.size()
                    + " images and " + data.classNames().size() + " classes (limit " + limit + ")");
        }
        long key = Seeds.derive(seed, Seeds.Purpose.NOISY_ACCURACY);
        float a = (float) Math.sqrt(diffusion.alphaBar(t));
        float b = (float) Math.sqrt(1 - diffusion.alphaBar(t));
        long correct = 0;
        for (int first = 0; first < size; first += ClassifierTrainer.EVAL_BATCH) {
            int n = Math.min(ClassifierTrainer.EVAL_BATCH, size - first);
            long[] ids = new long[n];
            int[] ts = new int[n];
            for (int i = 0; i < n; i++) {
                ids[i] = first + i;
                ts[i] = t;
            }
            try (Tensor x = data.batch(ctx, first, n)) {
                KeyedNoise.apply(ctx, x, x, a, b, key, t, ids);
                float[] logits = net.forward(ctx, x, ts, false).toArray();
                int k = net.classes();
                for (int i = 0; i < n; i++) {
                    int best = 0;
                    for (int j = 1; j < k; j++) {
                        if (logits[i * k + j] > logits[i * k + best]) {
                            best = j;
                        }
                    }
                    correct += best == data.label(first + i) ? 1 : 0;
                }
            }
        }
        return (double) correct / size;
    }

    /**
     * Writes the classifier to {@code file} with the diffusion it was trained under and metadata:
     * the class names, the data set, the training configuration, the steps, and every epoch's
     * training loss and held-out accuracy against t (train_log).
     */
    public void save(Path file, List<String> classNames, String dataName, List<Epoch> epochs) throws IOException {
        Map<String, String> extra = runMetadata(classNames, dataName);
        StringBuilder log = new StringBuilder();
        for (Epoch e : epochs) {
            log.append(String.format("epoch %d: train loss %.4f, test accuracy %s, %.0f s%n", e.epoch(), e.trainLoss(),
                    e.accuracies(), e.seconds()));
        }
        extra.put("train_log", log.toString().strip());
        net.save(file, diffusion, extra);
    }

    @Override
    public void close() {
        super.close();
        for (Tensor t : new Tensor[] {xt, eps, dLogits}) {
            if (t != null) {
                t.close();
            }
        }
    }
}
