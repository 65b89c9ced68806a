package org.diffusion4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.data.FashionMnist;
import org.diffusion4j.data.ImageDataset;
import org.diffusion4j.data.ImageFolder;
import org.diffusion4j.io.LossCurve;
import org.diffusion4j.nn.UNet;
import org.diffusion4j.nn.UNetConfig;
import org.diffusion4j.train.Checkpoint;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
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
        double minutes = o.minutes();
        long maxSteps = o.maxSteps();
        TrainConfig cfg = o.trainConfig();
        Device device = D4j.parseDevice(o.device);
        ImageDataset data = loadData(o.data);
        if (data.height() != data.width()) {
            throw new IllegalArgumentException("--data: the images are " + data.width() + "×" + data.height()
                    + "; the U-Net takes square images");
        }
        UNetConfig config = o.unetConfig(data);
        boolean conditional = !data.classNames().isEmpty();
        out.printf("data: %d images %d×%d×%d, %s%n", data.size(), data.height(), data.width(), data.channels(),
                conditional ? data.classNames().size() + " classes" : "no classes (unconditional)");
        out.printf("training %s on %s: batch %d, lr %g (warm-up %d), EMA %s, %s%n", config, device, cfg.batchSize(),
                cfg.lr(), cfg.warmupSteps(), cfg.emaDecay(),
                maxSteps < Long.MAX_VALUE ? maxSteps + " steps" : minutes + " minutes");
        List<LossCurve.Point> curve = new ArrayList<>();
        try (Context ctx = Context.create(device, cfg.seed()); UNet net = new UNet(ctx, config);
                Trainer trainer = new Trainer(ctx, net, o.schedule(), cfg)) {
            if (o.resume) {
                trainer.load(ckpt);
                out.println("resumed from " + ckpt + " at step " + trainer.step());
                if (trainer.step() >= maxSteps) {
                    out.println("the checkpoint has " + trainer.step() + " steps, --steps asks for " + maxSteps
                            + ": nothing to train, nothing written");
                    return 0;
                }
            }
            Map<String, String> meta = Map.of(Checkpoint.CLASS_NAMES, String.join("\n", data.classNames()));
            long start = System.nanoTime();
            Progress progress = new Progress(out, o.quiet);
            long firstStep = trainer.step();
            long deadline = start + (long) (minutes * 60e9);
            double smoothed = Double.NaN;
            int n = cfg.batchSize();
            int pixels = data.height() * data.width() * data.channels();
            float[] batch = new float[n * pixels];
            int[] labels = conditional ? new int[n] : null;
            try (Tensor x0 = Tensor.empty(ctx, n, data.height(), data.width(), data.channels())) {
                while (trainer.step() < maxSteps && (maxSteps < Long.MAX_VALUE || System.nanoTime() < deadline)) {
                    // the batch of step k is a function of (seed, k): resuming replays the same data order
                    SplittableRandom r = new SplittableRandom(cfg.seed() ^ (trainer.step() * 0xBF58476D1CE4E5B9L));
                    for (int i = 0; i < n; i++) {
                        int idx = r.nextInt(data.size());
                        System.arraycopy(data.image(idx), 0, batch, i * pixels, pixels);
                        if (conditional) {
                            labels[i] = data.label(idx);
                        }
                    }
                    x0.copyFrom(batch);
                    float loss = trainer.trainStep(x0, labels);
                    smoothed = Double.isNaN(smoothed) ? loss : 0.98 * smoothed + 0.02 * loss;
                    long step = trainer.step();
                    if (step % 10 == 0) {
                        curve.add(new LossCurve.Point(step, smoothed));
                    }
                    if (step % 50 == 0 || step == maxSteps) {
                        report(progress, step, firstStep, maxSteps, minutes, smoothed, trainer.learningRate());
                    }
                    if (step % 500 == 0) {
                        trainer.save(ckpt, meta);
                    }
                }
            }
            trainer.save(ckpt, meta);
            LossCurve.writeCsv(outDir.resolve("loss.csv"), curve);
            LossCurve.writePng(outDir.resolve("loss.png"), curve);
            out.printf("trained %d steps in %.1f minutes; final smoothed loss %.4f%n", trainer.step(),
                    (System.nanoTime() - start) / 60e9, smoothed);
            out.println("wrote " + ckpt.toAbsolutePath() + ", " + outDir.resolve("loss.csv") + ", " + outDir.resolve("loss.png"));
        }
        return 0;
    }

    /** A progress line: the part done counts steps when training to --steps, else time against --minutes. */
    private static void report(Progress progress, long step, long firstStep, long maxSteps, double minutes, double loss,
            float lr) {
        double secs = progress.seconds();
        boolean bySteps = maxSteps < Long.MAX_VALUE;
        progress.report(bySteps ? String.format("step %6d/%d", step, maxSteps) : String.format("step %6d", step),
                bySteps ? (double) (step - firstStep) / (maxSteps - firstStep) : secs / (minutes * 60),
                String.format("loss %.4f  lr %.2e  %.2f steps/s  %.0f s", loss, lr, (step - firstStep) / secs, secs));
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
