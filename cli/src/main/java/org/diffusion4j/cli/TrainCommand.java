package org.diffusion4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.data.FashionMnist;
import org.diffusion4j.data.ImageDataset;
import org.diffusion4j.data.ImageFolder;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.io.LossCurve;
import org.diffusion4j.nn.UNet;
import org.diffusion4j.nn.UNetConfig;
import org.diffusion4j.train.Checkpoint;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.train.Trainer;

/**
 * {@code d4j train}: trains the small U-Net preset on Fashion-MNIST (class-conditional) or on a
 * folder of images (one subfolder per class, or none for an unconditional model) for a number of
 * minutes or steps, logging the loss (CSV and PNG) and writing a checkpoint at the end (and
 * every 500 steps). With --resume it continues from the checkpoint in the output directory.
 */
final class TrainCommand {
    private TrainCommand() {}

    static int run(Args a) throws IOException {
        Path out = D4j.outputDir(a.get("--out", "out/fashion-mnist"));
        Path ckpt = out.resolve("checkpoint.safetensors");
        double minutes = a.getDouble("--minutes", 10);
        long maxSteps = a.getLong("--steps", Long.MAX_VALUE);
        boolean quiet = a.flag("--quiet");
        TrainConfig cfg = new TrainConfig(a.getInt("--batch", 32), (float) a.getDouble("--lr", 1e-3), a.getInt("--warmup", 100),
                0f, 1f, (float) a.getDouble("--ema", 0.995), 0.1f, a.getLong("--seed", 0));
        Device device = D4j.parseDevice(a.get("--device", "best"));
        ImageDataset data = loadData(Path.of(a.get("--data", FashionMnist.DEFAULT_DIR.toString())));
        if (data.height() != data.width()) {
            throw new IllegalArgumentException("--data: the images are " + data.width() + "×" + data.height()
                    + "; the U-Net takes square images");
        }
        UNetConfig config = UNetConfig.small(data.height(), data.channels(), data.classNames().size(), a.getInt("--base", 32))
                .withDropout((float) a.getDouble("--dropout", 0.0));
        boolean conditional = !data.classNames().isEmpty();
        System.out.printf("data: %d images %d×%d×%d, %s%n", data.size(), data.height(), data.width(), data.channels(),
                conditional ? data.classNames().size() + " classes" : "no classes (unconditional)");
        System.out.printf("training %s on %s: batch %d, lr %g (warm-up %d), EMA %s, %s%n", config, device, cfg.batchSize(),
                cfg.lr(), cfg.warmupSteps(), cfg.emaDecay(),
                maxSteps < Long.MAX_VALUE ? maxSteps + " steps" : minutes + " minutes");
        List<LossCurve.Point> curve = new ArrayList<>();
        try (Context ctx = Context.create(device, cfg.seed()); UNet net = new UNet(ctx, config);
                Trainer trainer = new Trainer(ctx, net, NoiseSchedule.linear(1000), cfg)) {
            if (a.flag("--resume") && Files.exists(ckpt)) {
                trainer.load(ckpt);
                System.out.println("resumed from " + ckpt + " at step " + trainer.step());
            }
            Map<String, String> meta = Map.of(Checkpoint.CLASS_NAMES, String.join("\n", data.classNames()));
            long start = System.nanoTime();
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
                    if (!quiet && step % 50 == 0) {
                        double secs = (System.nanoTime() - start) / 1e9;
                        System.out.printf("step %6d  loss %.4f  lr %.2e  %.2f steps/s  %.0f s%n", step, smoothed,
                                trainer.learningRate(), (step - firstStep) / secs, secs);
                    }
                    if (step % 500 == 0) {
                        trainer.save(ckpt, meta);
                    }
                }
            }
            trainer.save(ckpt, meta);
            LossCurve.writeCsv(out.resolve("loss.csv"), curve);
            LossCurve.writePng(out.resolve("loss.png"), curve);
            System.out.printf("trained %d steps in %.1f minutes; final smoothed loss %.4f%n", trainer.step(),
                    (System.nanoTime() - start) / 60e9, smoothed);
            System.out.println("wrote " + ckpt.toAbsolutePath() + ", " + out.resolve("loss.csv") + ", " + out.resolve("loss.png"));
        }
        return 0;
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
