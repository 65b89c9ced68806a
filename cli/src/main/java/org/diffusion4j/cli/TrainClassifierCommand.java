package org.diffusion4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.data.ImageDataset;
import org.diffusion4j.nn.FeatureNet;
import org.diffusion4j.nn.FeatureNetConfig;
import org.diffusion4j.train.ClassifierTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code d4j train-classifier}: trains the evaluation suite's feature network
 * ({@link FeatureNet}, the {@link FeatureNetConfig#small} layout) as a classifier on Fashion-MNIST
 * or a folder of labelled images with {@link ClassifierTrainer}, printing the training loss and
 * the held-out accuracy after every epoch, and writes the weights with that record as metadata.
 */
@Command(name = "train-classifier", description = {"Train the feature network of the evaluation suite (FID, class "
        + "accuracy, precision/recall) as a classifier on Fashion-MNIST or a folder of labelled images, printing the "
        + "training loss and the test accuracy after each epoch, and write its weights (safetensors, with the "
        + "configuration, class names, data set and accuracy as metadata) to --out."})
final class TrainClassifierCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ClassifierDataOptions dataOptions;

    @Mixin
    ClassifierTrainingOptions.FeatureNetDefaults training;

    @Option(names = "--out", paramLabel = "FILE", description = "Where to write the network (an existing file is never "
            + "overwritten unless --force).")
    Path out = Path.of("out/feature-net.safetensors");

    @Option(names = "--force", description = "Replace --out if it exists.")
    boolean force;

    @Override
    public Integer call() throws IOException {
        training.validate(spec);
        if (Files.exists(out) && !force) {
            throw new IllegalStateException(out + " exists; --force replaces it, or choose another --out");
        }
        PrintWriter o = spec.commandLine().getOut();
        D4j.printBackends(o);
        Device dev = D4j.parseDevice(training.device);
        ClassifierDataOptions.Loaded loaded = dataOptions.load();
        ImageDataset train = loaded.train();
        ImageDataset test = loaded.test();
        FeatureNetConfig config = FeatureNetConfig.small(train.height(), train.channels(), train.classNames().size());
        ClassifierTrainer.Config cfg = training.config();
        String dataName = loaded.description();
        o.printf("data: %s%n", dataName);
        o.printf("training %s on %s: %s%n", config, dev, cfg);
        o.flush();
        Progress progress = new Progress(o, training.quiet);
        try (Context ctx = Context.create(dev, training.seed); FeatureNet net = new FeatureNet(ctx, config, training.seed);
                ClassifierTrainer trainer = new ClassifierTrainer(ctx, net, cfg)) {
            ClassifierTrainer.Summary summary = trainer.fit(train, test, new ClassifierTrainer.Listener() {
                @Override
                public void onSteps(long step, long totalSteps, double meanLoss, double seconds) {
                    if (step % 100 == 0) {
                        progress.report(String.format("step %5d/%d", step, totalSteps), (double) step / totalSteps,
                                String.format("loss %.4f  %.1f steps/s", meanLoss, step / seconds));
                    }
                }

                @Override
                public void onEpoch(ClassifierTrainer.Epoch e) {
                    o.printf("epoch %d/%d: train loss %.4f, test accuracy %.4f (%d steps, %.0f s)%n", e.epoch(), training.epochs,
                            e.trainLoss(), e.testAccuracy(), e.steps(), e.seconds());
                    o.flush();
                }
            });
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            trainer.save(out, train.classNames(), dataName, summary);
            o.printf("trained %d epochs in %.1f minutes; test accuracy %.4f%n", training.epochs, summary.seconds() / 60,
                    summary.testAccuracy());
            o.println("wrote " + out.toAbsolutePath() + " (" + Files.size(out) + " bytes)");
        }
        return 0;
    }
}
