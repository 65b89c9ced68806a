package org.diffusion4j.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.data.ImageDataset;
import org.diffusion4j.nn.FeatureNet;
import org.diffusion4j.nn.FeatureNetConfig;
import org.diffusion4j.nn.Param;
import org.diffusion4j.ops.Add;
import org.diffusion4j.ops.Optimizer;
import org.diffusion4j.ops.SoftmaxCrossEntropy;

/**
 * Trains a {@link FeatureNet} as a classifier: softmax cross-entropy on the data set's labels,
 * AdamW with linear warm-up and cosine decay to 0 over the run, batches in the seeded epoch order
 * of {@link DataOrder} (the key {@link org.diffusion4j.Seeds.Purpose#DATA_ORDER} of the seed);
 * after each epoch the mean training loss and the accuracy on a held-out set. {@link #fit} is
 * the whole loop, what {@code d4j train-classifier} runs; {@link #save} writes the network with
 * what it was trained on and how well it did.
 */
public final class ClassifierTrainer implements AutoCloseable {
    /** Images per batch of {@link #accuracy}. */
    public static final int EVAL_BATCH = 500;

    /**
     * Batch size, AdamW's peak learning rate and weight decay, warm-up steps, epochs and the seed
     * of the data order.
     */
    public record Config(int batchSize, float learningRate, float weightDecay, int warmupSteps, int epochs, long seed) {
        public Config {
            if (batchSize < 1) {
                throw new IllegalArgumentException("batchSize is " + batchSize + "; it must be at least 1");
            }
            if (!(learningRate > 0) || Float.isInfinite(learningRate)) {
                throw new IllegalArgumentException("learningRate is " + learningRate + "; it must be finite and > 0");
            }
            if (!(weightDecay >= 0) || Float.isInfinite(weightDecay)) {
                throw new IllegalArgumentException("weightDecay is " + weightDecay + "; it must be finite and >= 0");
            }
            if (warmupSteps < 0) {
                throw new IllegalArgumentException("warmupSteps is " + warmupSteps + "; it must be >= 0");
            }
            if (epochs < 1) {
                throw new IllegalArgumentException("epochs is " + epochs + "; it must be at least 1");
            }
        }

        /** The learning rate of step {@code step} of a run of {@code totalSteps}: linear warm-up, then cosine decay to 0. */
        public float learningRate(long step, long totalSteps) {
            double lr = learningRate;
            if (step < warmupSteps) {
                return (float) (lr * (step + 1) / warmupSteps);
            }
            long decay = Math.max(1, totalSteps - warmupSteps);
            double f = Math.min(1.0, (double) (step - warmupSteps) / decay);
            return (float) (lr * 0.5 * (1 + Math.cos(Math.PI * f)));
        }

        /** Batch 128, lr 5e-3, weight decay 0.01 (PyTorch's AdamW default), 100 warm-up steps: the Fashion-MNIST run. */
        public static Config defaults(int epochs, long seed) {
            return new Config(128, 5e-3f, 0.01f, 100, epochs, seed);
        }
    }

    /** What one epoch did: its mean training loss, the held-out accuracy after it, the time so far. */
    public record Epoch(int epoch, long steps, double trainLoss, double testAccuracy, double seconds) {}

    /** What {@link #fit} did: every epoch, and the final held-out accuracy. */
    public record Summary(List<Epoch> epochs, double testAccuracy, double seconds) {}

    /** Hears about training: every 50 steps and after every epoch. */
    public interface Listener {
        Listener NONE = new Listener() {};

        /** {@code step} (a multiple of 50) of {@code totalSteps} done; the mean loss since the last call or epoch. */
        default void onSteps(long step, long totalSteps, double meanLoss, double seconds) {}

        default void onEpoch(Epoch epoch) {}
    }

    private final Context ctx;
    private final FeatureNet net;
    private final Config config;
    private final List<Param> params;
    private final List<Tensor> values = new ArrayList<>();
    private final List<Tensor> grads = new ArrayList<>();
    private final List<Tensor> m = new ArrayList<>();
    private final List<Tensor> v = new ArrayList<>();
    private final Tensor loss;
    private final Tensor lossSum;
    private Tensor dLogits;
    private long step;
    private long totalSteps = 1;

    public ClassifierTrainer(Context ctx, FeatureNet net, Config config) {
        this.ctx = Objects.requireNonNull(ctx, "ctx");
        this.net = Objects.requireNonNull(net, "net");
        this.config = Objects.requireNonNull(config, "config");
        this.params = net.parameters();
        for (Param p : params) {
            values.add(p.value());
            grads.add(p.grad());
            m.add(Tensor.zeros(ctx, p.value().shape()));
            v.add(Tensor.zeros(ctx, p.value().shape()));
        }
        loss = Tensor.empty(ctx, 1);
        lossSum = Tensor.zeros(ctx, 1);
    }

    public FeatureNet net() {
        return net;
    }

    public Config config() {
        return config;
    }

    /** Optimizer steps taken. */
    public long step() {
        return step;
    }

    /** The learning rate of the next step: linear warm-up, then cosine decay to 0 at the run's last step. */
    public float learningRate() {
        return config.learningRate(step, totalSteps);
    }

    /**
     * One optimizer step on images (N, S, S, C) with their labels: forward, cross-entropy,
     * backward, AdamW. The loss is added to a sum on the device, read by {@link #fit} per epoch.
     */
    public void trainStep(Tensor images, int[] labels) {
        Objects.requireNonNull(images, "images");
        Objects.requireNonNull(labels, "labels");
        net.zeroGrad();
        Tensor logits = net.forward(ctx, images);
        if (dLogits == null || dLogits.dim(0) != logits.dim(0)) {
            if (dLogits != null) {
                dLogits.close();
            }
            dLogits = Tensor.empty(ctx, logits.shape());
        }
        SoftmaxCrossEntropy.forward(ctx, loss, dLogits, logits, labels);
        net.backward(ctx, dLogits);
        Optimizer.adamwStep(ctx, values, m, v, grads, new Optimizer.AdamW(learningRate(), 0.9f, 0.999f, 1e-8f,
                config.weightDecay()), step + 1);
        Add.forward(ctx, lossSum, lossSum, loss);
        step++;
    }

    /**
     * Trains for {@link Config#epochs()} epochs of {@code train} (each ⌊size / batch⌋ steps over
     * the seeded order), measuring the accuracy on {@code test} after each.
     *
     * @throws IllegalArgumentException when a data set does not fit the network (size, channels, classes)
     */
    public Summary fit(ImageDataset train, ImageDataset test, Listener listener) {
        Listener l = listener == null ? Listener.NONE : listener;
        check(net.config(), train, "training");
        check(net.config(), test, "test");
        int b = config.batchSize();
        if (train.size() < b) {
            throw new IllegalArgumentException("the training set has " + train.size() + " images, fewer than a batch of " + b);
        }
        long perEpoch = train.size() / b;
        totalSteps = step + perEpoch * config.epochs();
        DataOrder order = new DataOrder(config.seed(), train.size());
        int pixels = train.height() * train.width() * train.channels();
        float[] batch = new float[b * pixels];
        int[] labels = new int[b];
        List<Epoch> epochs = new ArrayList<>();
        long start = System.nanoTime();
        double accuracy = Double.NaN;
        try (Tensor images = Tensor.empty(ctx, b, train.height(), train.width(), train.channels());
                Tensor windowSum = Tensor.zeros(ctx, 1)) {
            for (int e = 0; e < config.epochs(); e++) {
                lossSum.fill(0f);
                windowSum.fill(0f);
                long windowFrom = step;
                for (long s = 0; s < perEpoch; s++) {
                    for (int i = 0; i < b; i++) {
                        int idx = order.index(step * b + i);
                        System.arraycopy(train.image(idx), 0, batch, i * pixels, pixels);
                        labels[i] = train.label(idx);
                    }
                    images.copyFrom(batch);
                    trainStep(images, labels);
                    if (step % 50 == 0) {
                        float sum = lossSum.toArray()[0];
                        l.onSteps(step, totalSteps, (sum - windowSum.toArray()[0]) / (double) (step - windowFrom),
                                (System.nanoTime() - start) / 1e9);
                        windowSum.fill(sum);
                        windowFrom = step;
                    }
                }
                double trainLoss = lossSum.toArray()[0] / (double) perEpoch;
                accuracy = accuracy(ctx, net, test);
                Epoch done = new Epoch(e + 1, step, trainLoss, accuracy, (System.nanoTime() - start) / 1e9);
                epochs.add(done);
                l.onEpoch(done);
            }
        }
        return new Summary(List.copyOf(epochs), accuracy, (System.nanoTime() - start) / 1e9);
    }

    private static void check(FeatureNetConfig c, ImageDataset data, String which) {
        Objects.requireNonNull(data, which + " data");
        if (data.height() != c.imageSize() || data.width() != c.imageSize() || data.channels() != c.channels()) {
            throw new IllegalArgumentException("the " + which + " images are " + data.height() + "×" + data.width() + "×"
                    + data.channels() + " but the network takes " + c.imageSize() + "×" + c.imageSize() + "×" + c.channels());
        }
        if (data.classNames().size() != c.classes()) {
            throw new IllegalArgumentException("the " + which + " data has " + data.classNames().size() + " classes but the "
                    + "network " + c.classes() + (data.classNames().isEmpty() ? " (a classifier needs labelled images: one "
                    + "subfolder per class)" : ""));
        }
    }

    /** The fraction of {@code data}'s images whose predicted class is their label (batches of {@link #EVAL_BATCH}). */
    public static double accuracy(Context ctx, FeatureNet net, ImageDataset data) {
        Objects.requireNonNull(data, "data");
        if (data.size() == 0 || data.classNames().isEmpty()) {
            throw new IllegalArgumentException("accuracy needs labelled images; the data set has " + data.size()
                    + " images and " + data.classNames().size() + " classes");
        }
        int pixels = data.height() * data.width() * data.channels();
        long correct = 0;
        for (int first = 0; first < data.size(); first += EVAL_BATCH) {
            int n = Math.min(EVAL_BATCH, data.size() - first);
            float[] batch = new float[n * pixels];
            for (int i = 0; i < n; i++) {
                System.arraycopy(data.image(first + i), 0, batch, i * pixels, pixels);
            }
            try (Tensor images = Tensor.of(ctx, batch, n, data.height(), data.width(), data.channels())) {
                int[] predicted = net.predict(ctx, images);
                for (int i = 0; i < n; i++) {
                    correct += predicted[i] == data.label(first + i) ? 1 : 0;
                }
            }
        }
        return (double) correct / data.size();
    }

    /**
     * Writes the network to {@code file} with metadata: its configuration, the class names (by
     * label, one per line), the data set {@code dataName}, the training configuration, the epochs
     * and steps, and the held-out accuracy of {@code summary}.
     */
    public void save(Path file, List<String> classNames, String dataName, Summary summary) throws IOException {
        Map<String, String> extra = new LinkedHashMap<>();
        extra.put(Checkpoint.CLASS_NAMES, String.join("\n", classNames));
        extra.put("data", dataName);
        extra.put("train_config", config.toString());
        extra.put("seed", Long.toString(config.seed()));
        extra.put("steps", Long.toString(step));
        extra.put("test_accuracy", Double.toString(summary.testAccuracy()));
        StringBuilder log = new StringBuilder();
        for (Epoch e : summary.epochs()) {
            log.append(String.format("epoch %d: train loss %.4f, test accuracy %.4f, %.0f s%n", e.epoch(), e.trainLoss(),
                    e.testAccuracy(), e.seconds()));
        }
        extra.put("train_log", log.toString().strip());
        net.save(file, extra);
    }

    @Override
    public void close() {
        for (List<Tensor> list : List.of(m, v)) {
            list.forEach(Tensor::close);
        }
        loss.close();
        lossSum.close();
        if (dLogits != null) {
            dLogits.close();
        }
    }
}
