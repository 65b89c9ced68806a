package org.diffusion4j.cli;

import org.diffusion4j.train.ClassifierTrainer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * The optimisation options of the classifier-training commands: epochs, batch, AdamW's learning
 * rate, weight decay and warm-up, the seed, device and --quiet. Each command takes the subclass
 * with its own defaults ({@link FeatureNetDefaults}, {@link NoisyDefaults}).
 */
class ClassifierTrainingOptions {
    @Option(names = "--epochs", paramLabel = "N", description = "Passes over the training set.")
    int epochs;

    @Option(names = "--batch", paramLabel = "N", description = "Images per step.")
    int batch;

    @Option(names = "--lr", paramLabel = "LR", description = "AdamW peak learning rate (linear warm-up, then cosine decay "
            + "to 0 at the last step).")
    double lr;

    @Option(names = "--weight-decay", paramLabel = "WD", description = "AdamW weight decay.")
    double weightDecay = 0.01;

    @Option(names = "--warmup", paramLabel = "N", description = "Steps of linear learning-rate warm-up.")
    int warmup = 100;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the initial weights and the data order (and, for "
            + "a noisy classifier, its timesteps and noise).")
    long seed = 0;

    @Option(names = "--device", paramLabel = "DEVICE", description = D4j.DEVICE_HELP)
    String device = "best";

    @Option(names = "--quiet", description = "No progress lines (the per-epoch lines stay).")
    boolean quiet;

    ClassifierTrainingOptions(int epochs, int batch, double lr) {
        this.epochs = epochs;
        this.batch = batch;
        this.lr = lr;
    }

    /** The feature network's run: 6 epochs of batch 128 at lr 5e-3. */
    static final class FeatureNetDefaults extends ClassifierTrainingOptions {
        FeatureNetDefaults() {
            super(6, 128, 5e-3);
        }
    }

    /** The noisy classifier's run: 2 epochs of batch 64 at lr 1e-3 (attention and a time embedding want a gentler rate). */
    static final class NoisyDefaults extends ClassifierTrainingOptions {
        NoisyDefaults() {
            super(2, 64, 1e-3);
        }
    }

    /** The autoencoder's run: 3 epochs of batch 64 at lr 2e-3. */
    static final class AutoencoderDefaults extends ClassifierTrainingOptions {
        AutoencoderDefaults() {
            super(3, 64, 2e-3);
        }
    }

    void validate(CommandSpec spec) {
        Check.atLeast(spec, "--epochs", epochs, 1);
        Check.atLeast(spec, "--batch", batch, 1);
        Check.positive(spec, "--lr", lr);
        Check.nonNegative(spec, "--weight-decay", weightDecay);
        Check.atLeast(spec, "--warmup", warmup, 0);
    }

    ClassifierTrainer.Config config() {
        return new ClassifierTrainer.Config(batch, (float) lr, (float) weightDecay, warmup, epochs, seed);
    }
}
