package org.diffusion4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.data.ImageDataset;
import org.diffusion4j.diffusion.GaussianDiffusion;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.nn.NoisyClassifier;
import org.diffusion4j.nn.UNetConfig;
import org.diffusion4j.train.ClassifierTrainer;
import org.diffusion4j.train.NoisyClassifierTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code d4j train-noisy-classifier}: trains the noise-conditional classifier of classifier
 * guidance ({@link NoisyClassifier}: the U-Net's downsampling half, the small preset's layout) on
 * images noised to uniform timesteps of --schedule, printing after every epoch the held-out
 * accuracy against t, and writes it with its schedule for {@code d4j sample --classifier}.
 */
@Command(name = "train-noisy-classifier", description = {"Train the noise-conditional classifier p(y | x_t, t) of "
        + "classifier guidance on Fashion-MNIST or a folder of labelled images noised to uniform timesteps, printing "
        + "the test accuracy against t after each epoch, and write it (safetensors, with its configuration, noise "
        + "schedule, class names and accuracy log) to --out for d4j sample --classifier."})
final class TrainNoisyClassifierCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ClassifierDataOptions dataOptions;

    @Mixin
    ClassifierTrainingOptions.NoisyDefaults training;

    @Option(names = "--out", paramLabel = "FILE", description = "Where to write the classifier (an existing file is never "
            + "overwritten unless --force).")
    Path out = Path.of("out/noisy-classifier.safetensors");

    @Option(names = "--force", description = "Replace --out if it exists.")
    boolean force;

    @Option(names = "--schedule", paramLabel = "KIND", description = "Noise schedule: linear or cosine; it must be the "
            + "diffusion model's.")
    String schedule = "linear";

    @Option(names = "--timesteps", paramLabel = "T", description = "Diffusion steps T of the schedule.")
    int timesteps = 1000;

    @Option(names = "--base", paramLabel = "C", description = "Base channels of the classifier's U-Net half (a multiple of 8).")
    int base = 32;

    @Option(names = "--test-images", paramLabel = "N", description = "Held-out images of the accuracy at each reported t.")
    int testImages = 2000;

    @Override
    public Integer call() throws IOException {
        training.validate(spec);
        Check.atLeast(spec, "--test-images", testImages, 1);
        Check.oneOf(spec, "--schedule", schedule, "linear", "cosine");
        Check.atLeast(spec, "--timesteps", timesteps, 2);
        if (schedule.equals("linear") && timesteps <= 20) {
            throw Check.invalid(spec, "--timesteps", timesteps, "the linear schedule scales β to 0.02·1000/T, so T must exceed 20");
        }
        if (base < 8 || base % 8 != 0) {
            throw Check.invalid(spec, "--base", base, "it must be a multiple of 8 (GroupNorm's 8 groups)");
        }
        if (Files.exists(out) && !force) {
            throw new IllegalStateException(out + " exists; --force replaces it, or choose another --out");
        }
        PrintWriter o = spec.commandLine().getOut();
        D4j.printBackends(o);
        Device dev = D4j.parseDevice(training.device);
        ClassifierDataOptions.Loaded data = dataOptions.load();
        ImageDataset train = data.train();
        UNetConfig config = UNetConfig.small(train.height(), train.channels(), train.classNames().size(), base).withDropout(0f);
        GaussianDiffusion diffusion = GaussianDiffusion.of(schedule.equals("cosine") ? NoiseSchedule.cosine(timesteps)
                : NoiseSchedule.linear(timesteps));
        ClassifierTrainer.Config cfg = training.config();
        o.printf("data: %s%n", data.description());
        o.printf("training a noisy classifier %s under %s on %s: %s%n", config, diffusion.schedule(), dev, cfg);
        o.flush();
        Progress progress = new Progress(o, training.quiet);
        try (Context ctx = Context.create(dev, training.seed); NoisyClassifier net = new NoisyClassifier(ctx, config, training.seed);
                NoisyClassifierTrainer trainer = new NoisyClassifierTrainer(ctx, net, diffusion, cfg)) {
            long t0 = System.nanoTime();
            List<NoisyClassifierTrainer.Epoch> log = trainer.fit(train, data.test(), testImages,
                    new ClassifierTrainer.Listener() {
                        @Override
                        public void onSteps(long step, long totalSteps, double meanLoss, double seconds) {
                            if (step % 100 == 0) {
                                progress.report(String.format("step %5d/%d", step, totalSteps), (double) step / totalSteps,
                                        String.format("loss %.4f  %.1f steps/s", meanLoss, step / seconds));
                            }
                        }
                    }, e -> {
                        o.printf("epoch %d/%d: train loss %.4f, test accuracy %s (%d steps, %.0f s)%n", e.epoch(),
                                training.epochs, e.trainLoss(), e.accuracies(), e.steps(), e.seconds());
                        o.flush();
                    });
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            trainer.save(out, train.classNames(), data.description(), log);
            o.printf("trained %d epochs in %.1f minutes%n", training.epochs, (System.nanoTime() - t0) / 6e10);
            o.println("wrote " + out.toAbsolutePath() + " (" + Files.size(out) + " bytes)");
        }
        return 0;
    }
}
