package org.diffusion4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import org.diffusion4j.Context;
import org.diffusion4j.ConvAlgorithm;
import org.diffusion4j.Device;
import org.diffusion4j.Precision;
import org.diffusion4j.Tensor;
import org.diffusion4j.data.FashionMnist;
import org.diffusion4j.diffusion.ClassifierGuidance;
import org.diffusion4j.diffusion.ImageSampler;
import org.diffusion4j.diffusion.SampleNoise;
import org.diffusion4j.diffusion.Sampler;
import org.diffusion4j.diffusion.StepCallback;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.nn.NoisyClassifier;
import org.diffusion4j.nn.UNet;
import org.diffusion4j.nn.UNetConfig;
import org.diffusion4j.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code d4j sample}: loads a checkpoint written by {@code d4j train} (its EMA weights unless
 * --raw) into the U-Net its metadata describes, samples --per-label images for each label (or
 * --count images from an unconditional model) with DDIM or DDPM (optionally with a Langevin
 * corrector) and classifier-free guidance, or a score (ncsn) checkpoint with annealed Langevin
 * dynamics, and writes what other tools can read (one PNG per image at its native size, label
 * in the name, and labels.csv: see {@link SampleFiles}) and a magnified grid, a row per label.
 */
@Command(name = "sample", description = {"Sample a checkpoint written by d4j train: --per-label images of each label "
        + "(or --count images from an unconditional model) with DDIM or DDPM (--corrector-steps: predictor-corrector) "
        + "and classifier-free guidance, or annealed Langevin dynamics for a score (ncsn) checkpoint, written as one "
        + "PNG per image at its native size (label in the name), labels.csv (file, label, class) and grid.png, a row "
        + "per label, magnified 2x."})
final class SampleCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--checkpoint", paramLabel = "FILE", description = "The checkpoint; it records the U-Net "
            + "configuration, class names and diffusion process.")
    Path checkpointFile = Path.of("out/fashion-mnist/checkpoint.safetensors");

    @Option(names = "--out", paramLabel = "DIR", description = "Output directory.")
    Path outDir = Path.of("out/fashion-mnist/samples");

    @Mixin
    SamplerOptions sampling;

    @Mixin
    GuidanceClassifierOptions classifierOptions;

    @Option(names = "--labels", paramLabel = "L", description = "all, or labels separated by commas (0,3,9): a grid row each.")
    String labels = "all";

    @Option(names = "--per-label", paramLabel = "N", description = "Images per label.")
    int perLabel = 10;

    @Option(names = "--count", paramLabel = "N", description = "Images to draw from an unconditional checkpoint.")
    int count = 16;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the sampling noise (an image depends on it and its "
            + "index only).")
    long seed = 0;

    @Option(names = "--autoencoder", paramLabel = "FILE", description = "A latent model's autoencoder, which decodes its "
            + "samples (default: the file the checkpoint names; it must be the same autoencoder).")
    Path autoencoderFile;

    @Option(names = "--raw", description = "The raw weights instead of their moving average (EMA).")
    boolean raw;

    @Option(names = "--device", paramLabel = "DEVICE", description = D4j.DEVICE_HELP)
    String deviceName = "best";

    @Option(names = "--precision", paramLabel = "P", description = D4j.PRECISION_HELP)
    String precision = "fp32";

    @Option(names = "--conv", paramLabel = "ALGO", description = D4j.CONV_HELP)
    String conv = "auto";

    @Option(names = "--quiet", description = "No progress lines.")
    boolean quiet;

    @Override
    public Integer call() throws IOException {
        Check.atLeast(spec, "--per-label", perLabel, 1);
        Check.atLeast(spec, "--count", count, 1);
        sampling.validate(spec);
        classifierOptions.validate(spec);
        Precision arithmetic = D4j.parsePrecision(spec, precision);
        ConvAlgorithm convAlgorithm = D4j.parseConv(spec, conv);
        PrintWriter out = spec.commandLine().getOut();
        D4j.printBackends(out);
        Device device = D4j.parseDevice(deviceName);
        Checkpoint checkpoint = Checkpoint.read(checkpointFile);
        Path dir = D4j.outputDir(outDir);
        ImageSampler sampler = sampling.build(spec, checkpoint); // for the process the model was trained with
        if (classifierOptions.file != null && checkpoint.latentSpace() != null) {
            throw new ParameterException(spec.commandLine(), "--classifier guides pixel-space sampling; this checkpoint is "
                    + "a latent model");
        }
        if (classifierOptions.file != null && !(sampler instanceof Sampler)) {
            throw new ParameterException(spec.commandLine(), "--classifier guides DDIM and DDPM sampling of a diffusion "
                    + "checkpoint, not " + sampler);
        }
        UNetConfig config = checkpoint.config();
        boolean ema = !raw;
        int size = config.imageSize(); // the model's: a latent model's latents until decoded
        int ch = config.channels();
        float[] images;
        int n;
        int[] y;
        int[] labels;
        List<String> names;
        try (Context ctx = Context.create(device); UNet net = new UNet(ctx, config);
                org.diffusion4j.nn.Autoencoder ae = LatentDecoding.load(spec, ctx, checkpoint, autoencoderFile);
                NoisyClassifier.Loaded classifier = classifierOptions.file == null ? null
                        : classifierOptions.load(ctx, checkpoint.diffusion(), size, ch, config.classes())) {
            D4j.setPrecision(ctx, arithmetic); // the sampler runs the network in the context's precision
            ctx.setConvAlgorithm(convAlgorithm);
            // the labels a conditional model takes, or those an unconditional one is guided to
            int classes = config.classes() > 0 ? config.classes() : classifier == null ? 0 : classifier.classifier().classes();
            names = config.classes() > 0 || classifier == null ? className(checkpoint.classNames(), config, classes)
                    : className(classNames(classifier), config, classes);
            labels = classes == 0 ? null : parseLabels(this.labels, classes);
            if (classes == 0 && spec.commandLine().getParseResult().hasMatchedOption("--labels")) {
                throw new IllegalArgumentException("--labels: this checkpoint is unconditional (no classes); use --count, "
                        + "or --classifier to guide it towards labels");
            }
            n = labels == null ? count : labels.length * perLabel;
            y = null;
            if (labels != null) {
                y = new int[n];
                for (int i = 0; i < n; i++) {
                    y[i] = labels[i / perLabel];
                }
            }
            ClassifierGuidance guidance = classifier == null ? null
                    : new ClassifierGuidance(classifier.classifier()::inputGradient, classifierOptions.scale, y);
            out.printf("sampling %d %d×%d×%d images%s with %s%s, %s weights, seed %d, from step %d%n", n, size, size, ch,
                    labels == null ? "" : " (" + perLabel + " per label)", sampler,
                    guidance == null ? "" : ", classifier guidance s = " + classifierOptions.scale + " (" + classifierOptions.file
                            + ")", ema ? "EMA" : "raw", seed, checkpoint.step());
            checkpoint.loadWeights(net, ema);
            long t0 = System.nanoTime();
            Progress progress = new Progress(out, quiet);
            StepCallback report = quiet ? null : (done, total, t, xs) -> {
                if (done % 10 == 0 || done == total) {
                    progress.report(String.format("  step %d/%d", done, total), (double) done / total, "(t = " + t + ")");
                }
                return true;
            };
            int[] shape = {n, size, size, ch};
            int[] modelLabels = config.classes() > 0 ? y : null;
            try (Tensor x = guidance == null ? sampler.sample(ctx, net, shape, modelLabels, SampleNoise.of(seed, n), report)
                    : ((Sampler) sampler).sample(ctx, net, shape, modelLabels, SampleNoise.of(seed, n), report, guidance)) {
                images = x.toArray();
            }
            if (ae != null) { // z = x / s, decoded to images
                int per = size * size * ch;
                float[][] latents = new float[n][];
                for (int i = 0; i < n; i++) {
                    latents[i] = java.util.Arrays.copyOfRange(images, i * per, (i + 1) * per);
                }
                float[][] decoded = checkpoint.latentSpace().decode(ctx, ae, latents, 100);
                size = ae.config().imageSize();
                ch = ae.config().channels();
                images = new float[n * size * size * ch];
                for (int i = 0; i < n; i++) {
                    System.arraycopy(decoded[i], 0, images, i * decoded[i].length, decoded[i].length);
                }
                out.printf("decoded by %s%n", autoencoderFile != null ? autoencoderFile
                        : checkpoint.latentSpace().autoencoderFile());
            }
            out.printf("sampled in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        }
        List<SampleFiles.Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String name = y == null ? "" : String.format("-label-%d-%s", y[i],
                    names.get(y[i]).replaceAll("[^A-Za-z0-9]+", "-").toLowerCase(Locale.ROOT));
            String file = String.format("sample-%03d%s.png", i, name);
            SampleFiles.writePng(dir.resolve(file), images, i, size, size, ch);
            rows.add(new SampleFiles.Row(file, y == null ? null : y[i], y == null ? null : names.get(y[i])));
        }
        SampleFiles.writeLabels(dir.resolve("labels.csv"), rows);
        Path grid = dir.resolve("grid.png");
        ImageGrid.writePng(grid, images, n, size, size, ch, labels == null ? (int) Math.ceil(Math.sqrt(n)) : perLabel, 2);
        if (labels != null) {
            out.println("rows: " + Arrays.stream(labels).mapToObj(names::get).toList());
        }
        out.println("wrote " + n + " images, " + dir.resolve("labels.csv") + " and " + grid.toAbsolutePath());
        return 0;
    }

    /** The recorded class names when there is one per class, Fashion-MNIST's for 10 classes of 28×28 grey, else "class N". */
    private static List<String> className(List<String> recorded, UNetConfig config, int classes) {
        if (recorded.size() == classes) {
            return recorded;
        }
        if (classes == FashionMnist.CLASSES.size() && config.imageSize() == 28 && config.channels() == 1) {
            return FashionMnist.CLASSES;
        }
        return IntStream.range(0, classes).mapToObj(i -> "class " + i).toList();
    }

    private static List<String> classNames(NoisyClassifier.Loaded c) {
        String names = c.metadata().get(Checkpoint.CLASS_NAMES);
        return names == null || names.isEmpty() ? List.of() : List.of(names.split("\n", -1));
    }

    private static int[] parseLabels(String s, int classes) {
        if (s.equals("all")) {
            return IntStream.range(0, classes).toArray();
        }
        int[] l = Arrays.stream(s.split(",")).mapToInt(v -> {
            try {
                return Integer.parseInt(v.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--labels " + s + ": expected all or numbers like 0,3,9");
            }
        }).toArray();
        for (int v : l) {
            if (v < 0 || v >= classes) {
                throw new IllegalArgumentException("--labels: " + v + " is not a class of this checkpoint (0.." + (classes - 1) + ")");
            }
        }
        return l;
    }
}
