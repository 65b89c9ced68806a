package org.diffusion4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.data.ImageDataset;
import org.diffusion4j.nn.Autoencoder;
import org.diffusion4j.nn.AutoencoderConfig;
import org.diffusion4j.train.AutoencoderTrainer;
import org.diffusion4j.train.ClassifierTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code d4j train-autoencoder}: trains latent diffusion's KL-regularised autoencoder (a β-VAE,
 * {@link AutoencoderTrainer}) on Fashion-MNIST or a folder of images, printing the held-out
 * reconstruction error and KL after each epoch, measures the decoder variance, and writes it.
 */
@Command(name = "train-autoencoder", description = {"Train the KL-regularised autoencoder of latent diffusion (a "
        + "beta-VAE: per-pixel MSE + beta KL / D) on Fashion-MNIST or a folder of labelled images, printing the test "
        + "reconstruction error and KL after each epoch, and write it (safetensors with its configuration, decoder "
        + "variance and fingerprint) to --out. d4j train --latent FILE then trains a diffusion model on its latents; "
        + "d4j evaluate --autoencoder FILE scores its reconstructions, its VAE samples and its bound."})
final class TrainAutoencoderCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ClassifierDataOptions dataOptions;

    @Mixin
    ClassifierTrainingOptions.AutoencoderDefaults training;

    @Option(names = "--beta", paramLabel = "B", description = "The KL weight beta (the negative ELBO of a Gaussian decoder "
            + "with variance beta/2, scaled).")
    double beta = AutoencoderTrainer.DEFAULT_BETA;

    @Option(names = "--base", paramLabel = "C", description = "Base channels (levels of C, 2C, 2C at full, half and "
            + "quarter resolution).")
    int base = 32;

    @Option(names = "--latent-channels", paramLabel = "c", description = "Channels of the latent (a quarter-resolution "
            + "map: 7x7xc for Fashion-MNIST).")
    int latentChannels = 4;

    @Option(names = "--out", paramLabel = "FILE", description = "Where to write the autoencoder (an existing file is never "
            + "overwritten unless --force).")
    Path out = Path.of("out/autoencoder.safetensors");

    @Option(names = "--force", description = "Replace --out if it exists.")
    boolean force;

    @Override
    public Integer call() throws IOException {
        training.validate(spec);
        Check.nonNegative(spec, "--beta", beta);
        Check.atLeast(spec, "--base", base, 1);
        Check.atLeast(spec, "--latent-channels", latentChannels, 1);
        if (Files.exists(out) && !force) {
            throw new IllegalStateException(out + " exists; --force replaces it, or choose another --out");
        }
        PrintWriter o = spec.commandLine().getOut();
        D4j.printBackends(o);
        Device dev = D4j.parseDevice(training.device);
        ClassifierDataOptions.Loaded loaded = dataOptions.load();
        ImageDataset train = loaded.train();
        ImageDataset test = loaded.test();
        if (train.height() % 4 != 0) {
            throw new IllegalArgumentException("--data: the images are " + train.height() + " pixels square; the autoencoder "
                    + "halves them twice, so the size must be a multiple of 4");
        }
        AutoencoderConfig config = new AutoencoderConfig(train.height(), train.channels(), base, new int[] {1, 2, 2}, 1,
                latentChannels, 8);
        ClassifierTrainer.Config cfg = training.config();
        o.printf("data: %s%n", loaded.description());
        o.printf("training %s on %s: %s, beta %s%n", config, dev, cfg, beta);
        o.flush();
        Progress progress = new Progress(o, training.quiet);
        try (Context ctx = Context.create(dev, training.seed); Autoencoder ae = new Autoencoder(ctx, config);
                AutoencoderTrainer trainer = new AutoencoderTrainer(ctx, ae, cfg, (float) beta)) {
            AutoencoderTrainer.Summary summary = trainer.fit(train, test, new AutoencoderTrainer.Listener() {
                @Override
                public void onSteps(long step, long totalSteps, double meanLoss, double seconds) {
                    if (step % 100 == 0) {
                        progress.report(String.format("step %5d/%d", step, totalSteps), (double) step / totalSteps,
                                String.format("loss %.5f  %.1f steps/s", meanLoss, step / seconds));
                    }
                }

                @Override
                public void onEpoch(AutoencoderTrainer.Epoch e) {
                    o.printf("epoch %d/%d: train loss %.5f, test reconstruction mse %.5f, KL %.2f nats/image (%d steps, "
                            + "%.0f s)%n", e.epoch(), training.epochs, e.trainLoss(), e.testMse(), e.testKl(), e.steps(),
                            e.seconds());
                    o.flush();
                }
            });
            int count = Math.min(10_000, train.size());
            double variance = trainer.decoderVariance(train, count);
            o.printf("decoder variance sigma^2 = %.6g (maximum likelihood over %d training images)%n", variance, count);
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            trainer.save(out, variance, train.classNames(), loaded.description(), summary);
            o.printf("trained %d epochs in %.1f minutes%n", training.epochs, summary.seconds() / 60);
            o.println("wrote " + out.toAbsolutePath() + " (" + Files.size(out) + " bytes)");
        }
        return 0;
    }
}
