package org.diffusion4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import java.util.concurrent.Callable;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.data.FashionMnist;
import org.diffusion4j.data.ImageDataset;
import org.diffusion4j.data.ImageFolder;
import org.diffusion4j.io.LossCurve;
import org.diffusion4j.nn.UNet;
import org.diffusion4j.nn.UNetConfig;
import org.diffusion4j.diffusion.TrainingProcess;
import org.diffusion4j.latent.LatentDataset;
import org.diffusion4j.latent.LatentSpace;
import org.diffusion4j.nn.Autoencoder;
import org.diffusion4j.train.Checkpoint;
import org.diffusion4j.train.Fit;
import org.diffusion4j.train.TrainSummary;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code d4j train}: trains the small U-Net preset on Fashion-MNIST (class-conditional) or on a
 * folder of images (one subfolder per class, or none for an unconditional model) for a number of
 * minutes or steps, logging the loss (CSV and PNG) and writing a checkpoint at the end (and
 * every 500 steps). With --resume it continues from the checkpoint in the output directory;
 * without --resume or --force it refuses to overwrite one. The options and what they become in
 * the library are {@link TrainOptions}; {@link #call} checks them and the output directory, then
 * runs the training loop.
 */
@Command(name = "train", description = {"Train the small U-Net preset on Fashion-MNIST or a folder of images "
        + "(class-conditional when the data has classes), for --minutes or --steps, writing --out/checkpoint.safetensors "
        + "(also every 500 steps), loss.csv and loss.png. An existing checkpoint is never overwritten unless --resume "
        + "continues it or --force replaces it."})
final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    TrainOptions o;

    @Override
    public Integer call() throws IOException {
        o.validate(spec);
        Path ckpt = o.checkpoint();
        if (o.resume && !Files.exists(ckpt)) {
            throw new NoSuchFileException(ckpt.toString(), null, "no checkpoint to --resume from");
        }
        if (!o.resume && !o.force && Files.exists(ckpt)) {
            throw new IllegalStateException(ckpt + " exists; --resume continues it, --force replaces it, "
                    + "or choose another --out");
        }
        PrintWriter out = spec.commandLine().getOut();
        D4j.printBackends(out);
        Path outDir = D4j.outputDir(o.out);
        Device device = D4j.parseDevice(o.device);
        try (Context probe = Context.create(device)) { // refuse an unavailable --precision before loading anything
            D4j.setPrecision(probe, D4j.parsePrecision(null, o.precision));
        }
        ImageDataset pixels = loadData(o.data);
        if (pixels.height() != pixels.width()) {
            throw new IllegalArgumentException("--data: the images are " + pixels.width() + "×" + pixels.height()
                    + "; the U-Net takes square images");
        }
        LatentSpace latent = null;
        ImageDataset encoded = pixels;
        if (o.latent != null) { // encode once, on the training device
            long t0 = System.nanoTime();
            try (Context ctx = Context.create(device); Autoencoder ae = Autoencoder.load(ctx, o.latent)) {
                LatentDataset z = LatentDataset.encode(ctx, ae, pixels, 250);
                latent = LatentSpace.of(ae, z.scaleFactor(), o.latent.toString());
                encoded = z;
            }
            out.printf("latents: %d images encoded by %s to %d×%d×%d in %.0f s; scale factor %.5f (unit variance)%n",
                    pixels.size(), o.latent, encoded.height(), encoded.width(), encoded.channels(),
                    (System.nanoTime() - t0) / 1e9, latent.scaleFactor());
        }
        ImageDataset data = encoded;
        UNetConfig config = o.unetConfig(data, spec.commandLine().getParseResult().hasMatchedOption("--base"));
        TrainingProcess diffusion;
        long seed = o.seed == null ? 0 : o.seed;
        if (o.resume) { // the checkpoint's process, network and seed continue; options that contradict them are errors
            Checkpoint c = Checkpoint.read(ckpt);
            seed = resumed(spec, "--seed", seed, Long.parseLong(c.metadata().getOrDefault("seed", "0")));
            if (spec.commandLine().getParseResult().hasMatchedOption("--model") && o.score() != c.isScoreModel()) {
                throw new ParameterException(spec.commandLine(), "--model " + o.model + ": the checkpoint is a "
                        + (c.isScoreModel() ? "score model (ncsn)" : "Gaussian diffusion (ddpm)") + "; --resume continues it");
            }
            diffusion = resumed(spec, "--schedule/--timesteps/--prediction/--variance/--loss/--min-snr-gamma/--sigma-max/"
                    + "--sigma-min/--levels", () -> o.process(data, out), c.process());
            if ((c.latentSpace() == null) != (latent == null)) {
                throw new ParameterException(spec.commandLine(), c.latentSpace() == null ? "--latent: the checkpoint is a "
                        + "pixel-space model; --resume continues it without --latent" : "the checkpoint is a latent model "
                        + "(of " + c.latentSpace().autoencoderFile() + "); --resume needs --latent with that autoencoder");
            }
            if (latent != null && (!latent.fingerprint().equals(c.latentSpace().fingerprint())
                    || latent.scaleFactor() != c.latentSpace().scaleFactor())) {
                throw new ParameterException(spec.commandLine(), "--latent " + o.latent + ": the checkpoint was trained on "
                        + "the latents of another autoencoder (" + c.latentSpace().autoencoderFile() + ")");
            }
            resumed(spec, "--base/--dropout/--variance/--unconditional", config.toMetadata(), c.config().toMetadata());
            config = c.config();
        } else {
            diffusion = o.process(data, out);
        }
        TrainConfig cfg = o.trainConfig(seed);
        boolean conditional = config.classes() > 0;
        out.printf("data: %d images %d×%d×%d, %s%n", data.size(), data.height(), data.width(), data.channels(),
                conditional ? data.classNames().size() + " classes" : data.classNames().isEmpty() ? "no classes (unconditional)"
                        : data.classNames().size() + " classes, ignored (unconditional)");
        out.printf("training %s%n  with %s on %s: batch %d × %d, lr %g (warm-up %d, %s), EMA %s, %s, %s%n", config, diffusion,
                device, cfg.batchSize(), cfg.accumulation(), cfg.lr(), cfg.warmupSteps(), o.lrDecay, cfg.emaDecay(),
                o.precision, o.steps != null ? o.steps + " steps" : o.minutes() + " minutes");
        List<LossCurve.Point> curve = new ArrayList<>();
        try (Context ctx = Context.create(device, seed); UNet net = new UNet(ctx, config, seed);
                Trainer trainer = new Trainer(ctx, net, diffusion, cfg)) {
            ctx.setConvAlgorithm(D4j.parseConv(null, o.conv));
            if (o.resume) {
                trainer.load(ckpt);
                out.println("resumed from " + ckpt + " at step " + trainer.step());
                if (trainer.step() >= o.maxSteps()) {
                    out.println("the checkpoint has " + trainer.step() + " steps, --steps asks for " + o.maxSteps()
                            + ": nothing to train, nothing written");
                    return 0;
                }
            }
            Map<String, String> extra = new java.util.LinkedHashMap<>();
            extra.put(Checkpoint.CLASS_NAMES, String.join("\n", data.classNames()));
            if (latent != null) {
                extra.putAll(latent.toMetadata());
            }
            Fit fit = (o.steps != null ? Fit.steps(o.steps) : Fit.time(Duration.ofNanos((long) (o.minutes() * 60e9))))
                    .logEvery(10).checkpoint(ckpt, 500, extra);
            Progress progress = new Progress(out, o.quiet);
            TrainSummary summary = trainer.fit(data, fit, p -> {
                curve.add(new LossCurve.Point(p.step(), p.meanLoss()));
                if (p.step() % 50 == 0 || p.fractionDone() >= 1) {
                    progress.report(o.steps != null ? String.format("step %6d/%d", p.step(), o.steps)
                            : String.format("step %6d", p.step()), p.fractionDone(), String.format(
                            "loss %.4f  lr %.2e  %.2f steps/s  %.0f s", p.meanLoss(), p.learningRate(), p.stepsPerSecond(),
                            p.elapsedSeconds()));
                }
                return true;
            });
            LossCurve.writeCsv(outDir.resolve("loss.csv"), curve);
            LossCurve.writePng(outDir.resolve("loss.png"), curve);
            out.printf("trained %d steps (%d in this run) in %.1f minutes; final loss %.4f (mean of the last 10 steps)%n",
                    summary.step(), summary.runSteps(), summary.seconds() / 60, summary.finalLoss());
            out.println("wrote " + ckpt.toAbsolutePath() + ", " + outDir.resolve("loss.csv") + ", " + outDir.resolve("loss.png"));
        }
        return 0;
    }

    /** The checkpoint's value, unless the option was given with another. */
    private static <T> T resumed(CommandSpec spec, String options, T given, T saved) {
        return resumed(spec, options, () -> given, saved);
    }

    /** As {@link #resumed(CommandSpec, String, Object, Object)}, the given value computed only when an option was given. */
    private static <T> T resumed(CommandSpec spec, String options, java.util.function.Supplier<T> given, T saved) {
        boolean explicit = false;
        for (String name : options.split("/")) {
            explicit |= spec.commandLine().getParseResult().hasMatchedOption(name);
        }
        if (explicit && !given.get().equals(saved)) {
            throw new ParameterException(spec.commandLine(), options + ": the checkpoint was trained with " + saved
                    + "; --resume continues it (drop the option, or train afresh with --force)");
        }
        return saved;
    }

    /** Fashion-MNIST when {@code dir} holds its IDX files, else a folder of images. */
    static ImageDataset loadData(Path dir) throws IOException {
        if (Files.isRegularFile(dir.resolve("train-images-idx3-ubyte.gz")) || Files.isRegularFile(dir.resolve("train-images-idx3-ubyte"))) {
            return FashionMnist.load(dir, FashionMnist.Split.TRAIN);
        }
        if (dir.equals(FashionMnist.DEFAULT_DIR) && !Files.exists(dir)) {
            return FashionMnist.load(dir, FashionMnist.Split.TRAIN); // its error says which package to install
        }
        return ImageFolder.load(dir);
    }
}
