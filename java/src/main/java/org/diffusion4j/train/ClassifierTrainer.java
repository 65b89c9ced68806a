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
import org.diffusion4j.nn.FeatureNet;
import org.diffusion4j.nn.FeatureNetConfig;
import org.diffusion4j.ops.SoftmaxCrossEntropy;

/**
 * Trains a {@link FeatureNet} as a classifier: softmax cross-entropy on the data set's labels,
 * AdamW with linear warm-up and cosine decay to 0 over the run, batches in the seeded epoch order
 * of {@link DataOrder} (the key {@link org.diffusion4j.Seeds.Purpose#DATA_ORDER} of the seed);
 * after each epoch the mean training loss and the accuracy on a held-out set. {@link #fit} is
 * the whole loop, what {@code d4j train-classifier} runs; {@link #save} writes the network with
 * what it was trained on and how well it did.
 */
public final class ClassifierTrainer extends EpochTraining {
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

    private final FeatureNet net;
    private Tensor dLogits;

    public ClassifierTrainer(Context ctx, FeatureNet net, Config config) {
        super(ctx, Objects.requireNonNull(net, "net").parameters(), config);
        this.net = net;
    }

    public FeatureNet net() {
        return net;
    }

    public Config config() {
        return config;
    }

    /**
     * One optimizer step on images (N, S, S, C) with their labels: forward, cross-entropy,
     * backward, AdamW. The loss is added to a sum on the device, read by {@link #fit} per epoch.
     */
    @Override
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
        optimizerStep();
    }

    /**
     * Trains for {@link Config#epochs()} epochs of {@code train} (each ⌊size / batch⌋ steps over
     * the seeded order), measuring the accuracy on {@code test} after each.
     *
     * @throws IllegalArgumentException when a data set does not fit the network (size, channels, classes)
     */
    public Summary fit(ImageDataset train, ImageDataset test, Listener listener) {
        Listener l = listener == null ? Listener.NONE : listener;
        FeatureNetConfig c = net.config();
        check(c.imageSize(), c.channels(), c.classes(), train, "training", "network");
        check(c.imageSize(), c.channels(), c.classes(), test, "test", "network");
        Run run = begin(train);
        List<Epoch> epochs = new ArrayList<>();
        double accuracy = Double.NaN;
        for (int e = 0; e < config.epochs(); e++) {
            double trainLoss = epoch(run, l);
            accuracy = accuracy(ctx, net, test);
            Epoch done = new Epoch(e + 1, step(), trainLoss, accuracy, run.seconds());
            epochs.add(done);
            l.onEpoch(done);
        }
        return new Summary(List.copyOf(epochs), accuracy, run.seconds());
    }

    /** The fraction of {@code data}'s images whose predicted class is their label (batches of {@link #EVAL_BATCH}). */
    public static double accuracy(Context ctx, FeatureNet net, ImageDataset data) {
        Objects.requireNonNull(data, "data");
        if (data.size() == 0 || data.classNames().isEmpty()) {
            throw new IllegalArgumentException("accuracy needs labelled images; the data set has " + data.size()
                    + " images and " + data.classNames().size() + " classes");
        }
        long correct = 0;
        for (int first = 0; first < data.size(); first += EVAL_BATCH) {
            int n = Math.min(EVAL_BATCH, data.size() - first);
            try (Tensor images = data.batch(ctx, first, n)) {
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
        Map<String, String> extra = runMetadata(classNames, dataName);
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
        super.close();
        if (dLogits != null) {
            dLogits.close();
        }
    }
}
