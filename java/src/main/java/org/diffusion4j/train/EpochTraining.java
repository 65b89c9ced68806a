package org.diffusion4j.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.data.ImageDataset;
import org.diffusion4j.nn.Param;
import org.diffusion4j.ops.Add;
import org.diffusion4j.ops.Optimizer;

/**
 * What the classifier trainers share ({@link ClassifierTrainer}, {@link NoisyClassifierTrainer}):
 * AdamW state over a network's parameters with the config's warm-up and cosine decay, a loss
 * summed on the device, and epochs of ⌊size / batch⌋ steps over the seeded {@link DataOrder},
 * the listener told every 50 steps.
 */
abstract class EpochTraining implements AutoCloseable {
    final Context ctx;
    final ClassifierTrainer.Config config;
    private final List<Tensor> values = new ArrayList<>();
    private final List<Tensor> grads = new ArrayList<>();
    private final List<Tensor> m = new ArrayList<>();
    private final List<Tensor> v = new ArrayList<>();
    /** The last step's loss (one element), written by the subclass's step. */
    final Tensor loss;
    private final Tensor lossSum;
    private long step;
    private long totalSteps = 1;

    EpochTraining(Context ctx, List<Param> params, ClassifierTrainer.Config config) {
        this.ctx = Objects.requireNonNull(ctx, "ctx");
        this.config = Objects.requireNonNull(config, "config");
        for (Param p : params) {
            values.add(p.value());
            grads.add(p.grad());
            m.add(Tensor.zeros(ctx, p.value().shape()));
            v.add(Tensor.zeros(ctx, p.value().shape()));
        }
        loss = Tensor.empty(ctx, 1);
        lossSum = Tensor.zeros(ctx, 1);
    }

    /** Optimizer steps taken. */
    public long step() {
        return step;
    }

    /** The learning rate of the next step: linear warm-up, then cosine decay to 0 at the run's last step. */
    public float learningRate() {
        return config.learningRate(step, totalSteps);
    }

    /** One optimizer step on images (N, S, S, C) with their labels, writing {@link #loss}. */
    public abstract void trainStep(Tensor images, int[] labels);

    /** AdamW on the accumulated gradients at {@link #learningRate}; adds {@link #loss} to the epoch's sum; counts the step. */
    final void optimizerStep() {
        Optimizer.adamwStep(ctx, values, m, v, grads, new Optimizer.AdamW(learningRate(), 0.9f, 0.999f, 1e-8f,
                config.weightDecay()), step + 1);
        Add.forward(ctx, lossSum, lossSum, loss);
        step++;
    }

    /** A run of the config's epochs over {@code train}: the learning rate decays to 0 at its end. */
    final Run begin(ImageDataset train) {
        int b = config.batchSize();
        if (train.size() < b) {
            throw new IllegalArgumentException("the training set has " + train.size() + " images, fewer than a batch of " + b);
        }
        long perEpoch = train.size() / b;
        totalSteps = step + perEpoch * config.epochs();
        return new Run(train, perEpoch, new DataOrder(config.seed(), train.size()), System.nanoTime());
    }

    /** A run in progress: its data, steps per epoch, order and start time. */
    record Run(ImageDataset train, long perEpoch, DataOrder order, long start) {
        double seconds() {
            return (System.nanoTime() - start) / 1e9;
        }
    }

    /** One epoch of the run; returns its mean training loss. */
    final double epoch(Run run, ClassifierTrainer.Listener listener) {
        ImageDataset train = run.train();
        int b = config.batchSize();
        int pixels = train.height() * train.width() * train.channels();
        float[] batch = new float[b * pixels];
        int[] labels = new int[b];
        try (Tensor images = Tensor.empty(ctx, b, train.height(), train.width(), train.channels());
                Tensor windowSum = Tensor.zeros(ctx, 1)) {
            lossSum.fill(0f);
            long windowFrom = step;
            for (long s = 0; s < run.perEpoch(); s++) {
                for (int i = 0; i < b; i++) {
                    int idx = run.order().index(step * b + i);
                    System.arraycopy(train.image(idx), 0, batch, i * pixels, pixels);
                    labels[i] = train.label(idx);
                }
                images.copyFrom(batch);
                trainStep(images, labels);
                if (step % 50 == 0) {
                    float sum = lossSum.toArray()[0];
                    listener.onSteps(step, totalSteps, (sum - windowSum.toArray()[0]) / (double) (step - windowFrom),
                            run.seconds());
                    windowSum.fill(sum);
                    windowFrom = step;
                }
            }
            return lossSum.toArray()[0] / (double) run.perEpoch();
        }
    }

    /**
     * The metadata every trained classifier's file records: the class names (by label, one per
     * line), the data set, the training configuration, its seed and the steps taken.
     */
    final Map<String, String> runMetadata(List<String> classNames, String dataName) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(Checkpoint.CLASS_NAMES, String.join("\n", classNames));
        m.put("data", dataName);
        m.put("train_config", config.toString());
        m.put("seed", Long.toString(config.seed()));
        m.put("steps", Long.toString(step));
        return m;
    }

    /** Refuses a data set whose images or classes do not fit a network of this size, channels and classes. */
    static void check(int size, int channels, int classes, ImageDataset data, String which, String network) {
        Objects.requireNonNull(data, which + " data");
        if (data.height() != size || data.width() != size || data.channels() != channels) {
            throw new IllegalArgumentException("the " + which + " images are " + data.height() + "×" + data.width() + "×"
                    + data.channels() + " but the " + network + " takes " + size + "×" + size + "×" + channels);
        }
        if (data.classNames().size() != classes) {
            throw new IllegalArgumentException("the " + which + " data has " + data.classNames().size() + " classes but the "
                    + network + " " + classes + (data.classNames().isEmpty() ? " (a classifier needs labelled images: one "
                    + "subfolder per class)" : ""));
        }
    }

    @Override
    public void close() {
        for (List<Tensor> list : List.of(m, v)) {
            list.forEach(Tensor::close);
        }
        loss.close();
        lossSum.close();
    }
}
