package org.diffusion4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import org.diffusion4j.Context;
import org.diffusion4j.diffusion.GaussianDiffusion;
import org.diffusion4j.nn.NoisyClassifier;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * Classifier guidance's options of {@code d4j sample}: --classifier (a noisy classifier from
 * {@code d4j train-noisy-classifier}) and --classifier-scale, and the checks that tie the
 * classifier to the diffusion checkpoint (the same noise schedule, image shape and classes).
 */
final class GuidanceClassifierOptions {
    @Option(names = "--classifier", paramLabel = "FILE", description = {"Classifier guidance (Dhariwal & Nichol): a "
            + "noise-conditional classifier written by d4j train-noisy-classifier, trained under the checkpoint's noise "
            + "schedule. It steers each image towards its label, also from an unconditional checkpoint."})
    Path file;

    @Option(names = "--classifier-scale", paramLabel = "S", description = "Classifier guidance scale s (DDPM: mean + s "
            + "Sigma grad log p(y|x_t); DDIM: eps - s sqrt(1-abar) grad log p(y|x_t)); 0 is none.")
    double scale = 1.0;

    void validate(CommandSpec spec) {
        Check.nonNegative(spec, "--classifier-scale", scale);
        if (file == null && spec.commandLine().getParseResult().hasMatchedOption("--classifier-scale")) {
            throw Check.invalid(spec, "--classifier-scale", scale, "it needs --classifier");
        }
    }

    /**
     * The classifier (frozen) on ctx, checked against the model's process, image shape and class
     * count (a conditional model's); null without --classifier.
     */
    NoisyClassifier.Loaded load(Context ctx, GaussianDiffusion model, int imageSize, int channels, int modelClasses)
            throws IOException {
        return file == null ? null : load(ctx, file, "--classifier", model, imageSize, channels, modelClasses);
    }

    /** The classifier in {@code file} (given as {@code option}), frozen, checked as {@link #load(Context, GaussianDiffusion, int, int, int)} says. */
    static NoisyClassifier.Loaded load(Context ctx, Path file, String option, GaussianDiffusion model, int imageSize,
            int channels, int modelClasses) throws IOException {
        NoisyClassifier.Loaded c = NoisyClassifier.load(ctx, file);
        try {
            if (!c.diffusion().schedule().equals(model.schedule())) {
                throw new IllegalArgumentException(option + " " + file + " was trained under " + c.diffusion().schedule()
                        + " but the checkpoint's schedule is " + model.schedule() + "; guidance needs the same noise levels");
            }
            var cc = c.classifier().config();
            if (cc.imageSize() != imageSize || cc.channels() != channels) {
                throw new IllegalArgumentException(option + " " + file + " takes " + cc.imageSize() + "×" + cc.imageSize()
                        + "×" + cc.channels() + " images but the checkpoint makes " + imageSize + "×" + imageSize + "×" + channels);
            }
            if (modelClasses > 0 && modelClasses != cc.classes()) {
                throw new IllegalArgumentException(option + " " + file + " has " + cc.classes() + " classes but the "
                        + "checkpoint " + modelClasses);
            }
            c.classifier().setFrozen(true);
            return c;
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }
}
