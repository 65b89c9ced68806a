package org.diffusion4j.cli;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.data.FashionMnist;
import org.diffusion4j.data.ImageDataset;
import org.diffusion4j.diffusion.AnnealedLangevin;
import org.diffusion4j.diffusion.DdimSampler;
import org.diffusion4j.diffusion.DdpmSampler;
import org.diffusion4j.diffusion.GaussianDiffusion;
import org.diffusion4j.diffusion.ImageSampler;
import org.diffusion4j.diffusion.PredictorCorrector;
import org.diffusion4j.diffusion.Sampler;
import org.diffusion4j.diffusion.Spacing;
import org.diffusion4j.diffusion.VarianceType;
import org.diffusion4j.eval.Evaluator;
import org.diffusion4j.eval.FeatureNetClassifier;
import org.diffusion4j.eval.Generation;
import org.diffusion4j.eval.ImageClassifier;
import org.diffusion4j.eval.SampleScores;
import org.diffusion4j.eval.VaeBound;
import org.diffusion4j.eval.VariationalBound;
import org.diffusion4j.nn.Autoencoder;
import org.diffusion4j.nn.AutoencoderConfig;
import org.diffusion4j.nn.FeatureNet;
import org.diffusion4j.nn.NoisyClassifier;
import org.diffusion4j.nn.UNet;
import org.diffusion4j.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code d4j evaluate}: scores images in the feature network's features — a folder of PNGs
 * (labels from its labels.csv when present), or N images sampled from a checkpoint — and prints
 * a table of FID, class accuracy, precision and recall, each beside the floor of N real training
 * images; {@code --bpd} adds the variational bound on the test set; {@code --ddim-table} scores
 * the DDIM grid S ∈ {10, 20, 50, 100} × η ∈ {0, 0.5, 1} and the full DDPM chain with σ² = β and β̃
 * (or the learned Σ_θ); {@code --ddpm-steps} scores respaced DDPM chains with the checkpoint's variance
 * (with --corrector-steps, each with a Langevin corrector). A score (ncsn) checkpoint is sampled by
 * annealed Langevin dynamics. Each row gives its network evaluations per image (NFE). The table is
 * also written as CSV and Markdown.
 */
@Command(name = "evaluate", description = {"Score images in the feature network's features: FID against the test set, "
        + "class accuracy, precision and recall, each beside the floor (N real training images at the same N). Scores a "
        + "folder of PNGs (--images) or N samples of a checkpoint (--checkpoint); --bpd adds the variational bound in "
        + "bits/dim on the test set; --ddim-table scores DDIM S in {10,20,50,100} x eta in {0,0.5,1} and the full DDPM "
        + "chain; --ddpm-steps scores respaced DDPM chains (with --corrector-steps: predictor-corrector). A score (ncsn) "
        + "checkpoint is sampled by annealed Langevin dynamics. Each row gives its network evaluations per image (NFE). "
        + "Writes results.csv and results.md into --out."})
final class EvaluateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--checkpoint", paramLabel = "FILE", description = "Sample N images from this checkpoint and score them.")
    Path checkpointFile;

    @Option(names = "--images", paramLabel = "DIR", description = "Score the PNGs in DIR instead (as d4j sample writes "
            + "them; labels from DIR/labels.csv when present).")
    Path imagesDir;

    @Option(names = "--autoencoder", paramLabel = "FILE", description = "Score an autoencoder (d4j train-autoencoder) "
            + "instead: its reconstructions of N test images (with their labels), N VAE samples (z ~ N(0, I) decoded) "
            + "and, with --bpd, its VAE bound (negative ELBO) in bits/dim on the test set.")
    Path autoencoderFile;

    @Option(names = "--n", paramLabel = "N", description = "Images to sample and score (and the floor's N).")
    int n = 500;

    @Mixin
    SamplerOptions sampling;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the sampling noise and of the floor's real images.")
    long seed = 0;

    @Option(names = "--raw", description = "The raw weights instead of their moving average (EMA).")
    boolean raw;

    @Option(names = "--batch", paramLabel = "B", description = "Images per model call.")
    int batch = 100;

    @Option(names = "--classifier", paramLabel = "FILE", description = "The feature network (d4j train-classifier); "
            + "default: the one shipped for Fashion-MNIST.")
    Path classifierFile;

    @Option(names = "--data", paramLabel = "DIR", description = "The training set (the floor's real images).")
    Path data = FashionMnist.DEFAULT_DIR;

    @Option(names = "--test-data", paramLabel = "DIR", description = "The test set (FID's reference; the bound's images).")
    Path testData = FashionMnist.DEFAULT_DIR;

    @Option(names = "--bpd", description = "Also the variational bound in bits/dim on the test set (needs --checkpoint).")
    boolean bpd;

    @Option(names = "--bpd-images", paramLabel = "N", description = "Test images the bound averages over.")
    int bpdImages = 1000;

    @Option(names = "--bpd-strata", paramLabel = "K", description = "Strata of timesteps (one random t each; the standard "
            + "error is printed); 0 evaluates all T terms.")
    int bpdStrata = 50;

    @Option(names = "--ddim-table", description = "Score DDIM S in {10,20,50,100} x eta in {0,0.5,1} and the full "
            + "DDPM chain with sigma^2 = beta and beta-tilde (ignores the sampler options but --guidance).")
    boolean ddimTable;

    @Option(names = "--ddpm-steps", paramLabel = "S,...", split = ",", description = "Score DDPM ancestral sampling with "
            + "the checkpoint's variance (fixed or learned) at each S, the chain respaced to S linspace steps (Improved "
            + "DDPM's fast sampling), e.g. 25,50,100,1000 (ignores the sampler options but --guidance, --no-clip, "
            + "--corrector-steps and --snr).")
    int[] ddpmSteps;

    @Option(names = "--guidance-classifier", paramLabel = "FILE", description = "Classifier guidance: a noisy classifier "
            + "(d4j train-noisy-classifier) steering the sampler option's samples towards cycling labels, also for an "
            + "unconditional checkpoint; one row per --classifier-scales value.")
    Path guidanceClassifier;

    @Option(names = "--classifier-scales", paramLabel = "S,...", split = ",", description = "Classifier guidance scales, a "
            + "row each (with --guidance-classifier).")
    double[] classifierScales = {1.0};

    @Option(names = "--out", paramLabel = "DIR", description = "Where results.csv and results.md go.")
    Path outDir = Path.of("out/fashion-mnist/eval");

    @Option(names = "--device", paramLabel = "DEVICE", description = D4j.DEVICE_HELP)
    String deviceName = "best";

    @Option(names = "--quiet", description = "No progress lines.")
    boolean quiet;

    /** One row of the table: nfe the network evaluations per image (0: not known, a folder of images). */
    record Row(String what, SampleScores s, int nfe, double seconds) {}

    @Override
    public Integer call() throws IOException {
        boolean scoreAutoencoder = autoencoderFile != null && checkpointFile == null;
        if ((checkpointFile != null ? 1 : 0) + (imagesDir != null ? 1 : 0) + (scoreAutoencoder ? 1 : 0) != 1) {
            throw new ParameterException(spec.commandLine(), "give exactly one of --checkpoint (sample and score; with "
                    + "--autoencoder for a latent model's decoder), --images (score a folder of PNGs) and --autoencoder "
                    + "(score an autoencoder)");
        }
        if (scoreAutoencoder && (ddimTable || ddpmSteps != null || guidanceClassifier != null)) {
            throw new ParameterException(spec.commandLine(), "--autoencoder takes --bpd, not the samplers' tables");
        }
        if ((bpd && !scoreAutoencoder || ddimTable || ddpmSteps != null) && checkpointFile == null) {
            throw new ParameterException(spec.commandLine(), (bpd ? "--bpd" : ddimTable ? "--ddim-table" : "--ddpm-steps")
                    + " needs --checkpoint");
        }
        if (guidanceClassifier != null && (checkpointFile == null || ddimTable || ddpmSteps != null)) {
            throw new ParameterException(spec.commandLine(), "--guidance-classifier needs --checkpoint and scores the "
                    + "sampler options' sampler (not --ddim-table or --ddpm-steps)");
        }
        if (guidanceClassifier != null && sampling.correctorSteps > 0) {
            throw new ParameterException(spec.commandLine(), "--guidance-classifier guides DDIM and DDPM sampling, not "
                    + "predictor-corrector (--corrector-steps)");
        }
        if (guidanceClassifier == null && spec.commandLine().getParseResult().hasMatchedOption("--classifier-scales")) {
            throw new ParameterException(spec.commandLine(), "--classifier-scales needs --guidance-classifier");
        }
        for (double sc : classifierScales) {
            Check.nonNegative(spec, "--classifier-scales", sc);
        }
        if (ddpmSteps != null) {
            for (int st : ddpmSteps) {
                Check.atLeast(spec, "--ddpm-steps", st, 1);
            }
        }
        Check.atLeast(spec, "--n", n, 4); // precision and recall take k = 3 nearest neighbours among the N
        Check.atLeast(spec, "--batch", batch, 1);
        Check.atLeast(spec, "--bpd-images", bpdImages, 1);
        Check.atLeast(spec, "--bpd-strata", bpdStrata, 0);
        sampling.validate(spec);
        PrintWriter out = spec.commandLine().getOut();
        D4j.printBackends(out);
        Device device = D4j.parseDevice(deviceName);
        ImageDataset train = TrainCommand.loadData(data);
        ImageDataset test = loadTest(testData);
        Path dir = D4j.outputDir(outDir);
        Progress progress = new Progress(out, quiet);
        List<Row> rows = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        try (Context ctx = Context.create(device)) {
            FeatureNet featureNet = classifierFile == null ? FeatureNet.fashionMnist(ctx) : FeatureNet.load(ctx, classifierFile);
            try (featureNet) {
                ImageClassifier classifier = new FeatureNetClassifier(featureNet, train.classNames());
                out.printf("features: %s, %d-d; test set %d images%n", classifierFile == null ? "the shipped Fashion-MNIST "
                        + "network" : classifierFile, featureNet.featureDim(), test.size());
                Evaluator ev = new Evaluator(ctx, classifier, train, test, batch);
                if (imagesDir != null) {
                    Images imgs = readImages(imagesDir, classifier.imageShape());
                    if (imgs.images.length < 4) {
                        throw new IllegalArgumentException("--images " + imagesDir + ": " + imgs.images.length
                                + " PNG found; the scores need at least 4 (precision and recall: 3 neighbours each)");
                    }
                    long t0 = System.nanoTime();
                    rows.add(new Row(imagesDir.toString(), ev.score(imgs.images, imgs.labels, seed), 0,
                            (System.nanoTime() - t0) / 1e9));
                } else if (scoreAutoencoder) {
                    scoreAutoencoder(ctx, ev, rows, notes, out, dir, test);
                } else {
                    scoreCheckpoint(ctx, ev, rows, notes, out, progress, dir);
                }
            }
        }
        write(dir, rows, notes, out);
        return 0;
    }

    /** Samples and scores each sampler in turn, rewriting the table after each row (a long table keeps what it has). */
    private void scoreCheckpoint(Context ctx, Evaluator ev, List<Row> rows, List<String> notes, PrintWriter out,
            Progress progress, Path dir) throws IOException {
        Checkpoint c = Checkpoint.read(checkpointFile);
        if (c.isScoreModel() && (bpd || ddimTable || ddpmSteps != null || guidanceClassifier != null)) {
            throw new ParameterException(spec.commandLine(), (bpd ? "--bpd" : ddimTable ? "--ddim-table" : ddpmSteps != null
                    ? "--ddpm-steps" : "--guidance-classifier") + " needs a diffusion checkpoint; " + checkpointFile
                    + " is a score (ncsn) model, sampled by annealed Langevin dynamics");
        }
        if (c.latentSpace() != null && (bpd || guidanceClassifier != null)) {
            throw new ParameterException(spec.commandLine(), (bpd ? "--bpd" : "--guidance-classifier") + " is for "
                    + "pixel-space models; " + checkpointFile + " is a latent model");
        }
        GaussianDiffusion diffusion = c.isScoreModel() ? null : c.diffusion();
        int size = c.config().imageSize();
        int[] shape = {size, size, c.config().channels()};
        int modelClasses = c.config().classes();
        try (UNet net = new UNet(ctx, c.config()); Autoencoder ae = LatentDecoding.load(spec, ctx, c, autoencoderFile);
                NoisyClassifier.Loaded steer = guidanceClassifier == null ? null
                : GuidanceClassifierOptions.load(ctx, guidanceClassifier, "--guidance-classifier", diffusion, size,
                        c.config().channels(), modelClasses)) {
            int[] labels = Generation.cyclingLabels(n, modelClasses > 0 ? modelClasses
                    : steer == null ? 0 : steer.classifier().classes());
            c.loadWeights(net, !raw);
            if (steer != null) {
                Sampler s = sampling.build(spec, diffusion);
                for (double scale : classifierScales) {
                    long t0 = System.nanoTime();
                    String what = describe(s) + " s=" + trim(scale);
                    float[][] images = Generation.sample(ctx, net, s, n, shape, labels, modelClasses > 0,
                            steer.classifier()::inputGradient, scale, seed, batch, (done, total) -> {
                                progress.report(String.format("%s: %d/%d images", what, done, total), (double) done / total, "");
                                return true;
                            });
                    addRow(ev, rows, notes, out, dir, what, images, labels, t0,
                            s.steps() * (s.guidance() > 0 && modelClasses > 0 ? 2 : 1));
                }
            }
            List<ImageSampler> samplers = new ArrayList<>();
            boolean clip = c.latentSpace() == null; // latents are not in [−1, 1]: x̂_0 is never clipped
            if (ddimTable) {
                for (int s : new int[] {10, 20, 50, 100}) {
                    for (double eta : new double[] {0.0, 0.5, 1.0}) {
                        samplers.add(new DdimSampler(diffusion, Math.min(s, diffusion.timesteps()), eta, Spacing.TRAILING,
                                sampling.guidance, clip));
                    }
                }
                // the full chain with σ² = β and β̃, or with a learned-variance model's own Σ_θ
                VarianceType[] variances = diffusion.variance() == VarianceType.LEARNED_RANGE
                        ? new VarianceType[] {VarianceType.LEARNED_RANGE}
                        : new VarianceType[] {VarianceType.FIXED_BETA, VarianceType.FIXED_BETA_TILDE};
                for (VarianceType v : variances) {
                    samplers.add(new DdpmSampler(diffusion.withVariance(v), diffusion.timesteps(), Spacing.LINSPACE,
                            sampling.guidance, clip));
                }
            }
            if (ddpmSteps != null) {
                for (int st : ddpmSteps) {
                    if (st > diffusion.timesteps()) {
                        throw Check.invalid(spec, "--ddpm-steps", st, "this checkpoint's T is " + diffusion.timesteps());
                    }
                    samplers.add(sampling.corrected(new DdpmSampler(diffusion, st, Spacing.LINSPACE, sampling.guidance,
                            clip && !sampling.noClip)));
                }
            }
            if (!ddimTable && ddpmSteps == null && steer == null) {
                samplers.add(sampling.build(spec, c));
            }
            for (ImageSampler s : samplers) {
                long t0 = System.nanoTime();
                float[][] images = Generation.sample(ctx, net, s, n, shape, labels, seed, batch, (done, total) -> {
                    progress.report(String.format("%s: %d/%d images", describe(s), done, total), (double) done / total, "");
                    return true;
                });
                if (ae != null) {
                    images = c.latentSpace().decode(ctx, ae, images, batch);
                }
                addRow(ev, rows, notes, out, dir, (ae != null ? "latent " : "") + describe(s), images, labels, t0,
                        s.networkEvaluations() * (s.guidance() > 0 && modelClasses > 0 ? 2 : 1));
            }
            if (bpd) {
                ImageDataset test = loadTest(testData);
                int m = Math.min(bpdImages, test.size());
                float[][] images = new float[m][];
                int[] y = c.config().classes() > 0 ? new int[m] : null;
                for (int i = 0; i < m; i++) {
                    images[i] = test.image(i);
                    if (y != null) {
                        y[i] = test.label(i);
                    }
                }
                long t0 = System.nanoTime();
                VariationalBound.Result r = VariationalBound.bitsPerDim(ctx, net, diffusion, images, shape, y, batch,
                        bpdStrata, seed, (done, total) -> {
                            progress.report(String.format("bound: %d/%d terms", done, total), (double) done / total, "");
                            return true;
                        });
                String note = String.format("Test-set bound of %s (%s): %.4f ± %.4f bits/dim over %d test images, %s "
                        + "(prior %.4f, decoder %.4f, KL terms %.4f); %.0f s", checkpointFile.getFileName(), diffusion,
                        r.bitsPerDim(), r.standardError(), r.images(), r.strata() == 0 ? "all T terms"
                        : r.strata() + " timestep strata", r.priorBpd(), r.decoderBpd(), r.klBpd(),
                        (System.nanoTime() - t0) / 1e9);
                notes.add(note);
                out.println(note);
            }
        }
    }

    /**
     * The autoencoder's rows: reconstructions (the latent's mode, decoded) of the first N test
     * images with their labels, and N VAE samples (z ~ N(0, I) from --seed, decoded, no labels),
     * each clipped to [−1, 1]; with --bpd its VAE bound on --bpd-images test images.
     */
    private void scoreAutoencoder(Context ctx, Evaluator ev, List<Row> rows, List<String> notes, PrintWriter out, Path dir,
            ImageDataset test) throws IOException {
        try (Autoencoder ae = Autoencoder.load(ctx, autoencoderFile)) {
            AutoencoderConfig c = ae.config();
            int[] shape = {c.imageSize(), c.imageSize(), c.channels()};
            int m = Math.min(n, test.size());
            float[][] originals = new float[m][];
            int[] labels = test.classNames().isEmpty() ? null : new int[m];
            for (int i = 0; i < m; i++) {
                originals[i] = test.image(i);
                if (labels != null) {
                    labels[i] = test.label(i);
                }
            }
            long t0 = System.nanoTime();
            float[][] rec = new float[m][];
            for (int first = 0; first < m; first += batch) {
                int b = Math.min(batch, m - first);
                float[] x = new float[b * originals[0].length];
                for (int i = 0; i < b; i++) {
                    System.arraycopy(originals[first + i], 0, x, i * originals[0].length, originals[0].length);
                }
                try (Tensor tx = Tensor.of(ctx, x, b, shape[0], shape[1], shape[2]); Tensor z = ae.encode(ctx, tx, false);
                        Tensor xHat = ae.decode(ctx, z)) {
                    split(xHat.toArray(), rec, first, b);
                }
            }
            addRow(ev, rows, notes, out, dir, "autoencoder reconstructions of " + m + " test images", rec, labels, t0, 0);
            t0 = System.nanoTime();
            float[][] samples = new float[n][];
            long seedNow = ctx.seed();
            long offsetNow = ctx.rngOffset();
            ctx.setRng(seed, 0);
            try {
                for (int first = 0; first < n; first += batch) {
                    int b = Math.min(batch, n - first);
                    try (Tensor z = Tensor.empty(ctx, c.latentShape(b)).fillNormal(0f, 1f); Tensor xHat = ae.decode(ctx, z)) {
                        split(xHat.toArray(), samples, first, b);
                    }
                }
            } finally {
                ctx.setRng(seedNow, offsetNow);
            }
            addRow(ev, rows, notes, out, dir, "VAE samples (z ~ N(0, I), decoded)", samples, null, t0, 1);
            if (bpd) {
                int k = Math.min(bpdImages, test.size());
                float[][] images = new float[k][];
                for (int i = 0; i < k; i++) {
                    images[i] = test.image(i);
                }
                t0 = System.nanoTime();
                VaeBound.Result r = VaeBound.bitsPerDim(ctx, ae, images, shape, batch, seed);
                String note = String.format("VAE bound of %s: %.4f ± %.4f bits/dim over %d test images (reconstruction "
                        + "%.4f, KL %.4f; decoder sigma^2 %.4g); %.0f s", autoencoderFile.getFileName(), r.bitsPerDim(),
                        r.standardError(), r.images(), r.reconstructionBpd(), r.klBpd(), ae.decoderVariance(),
                        (System.nanoTime() - t0) / 1e9);
                notes.add(note);
                out.println(note);
            }
        }
    }

    /** Rows [first, first + b) of out from b images laid end to end, each clipped to [−1, 1]. */
    private static void split(float[] v, float[][] out, int first, int b) {
        int per = v.length / b;
        for (int i = 0; i < b; i++) {
            float[] img = java.util.Arrays.copyOfRange(v, i * per, (i + 1) * per);
            for (int j = 0; j < per; j++) {
                img[j] = Math.max(-1f, Math.min(1f, img[j]));
            }
            out[first + i] = img;
        }
    }

    /** Scores one row's images, prints it and rewrites the tables. */
    private void addRow(Evaluator ev, List<Row> rows, List<String> notes, PrintWriter out, Path dir, String what,
            float[][] images, int[] labels, long t0, int nfe) throws IOException {
        SampleScores sc = ev.score(images, labels, seed);
        rows.add(new Row(what, sc, nfe, (System.nanoTime() - t0) / 1e9));
        out.printf("%s: FID %.3f (floor %.3f), accuracy %.3f, precision %.3f, recall %.3f, %d network evaluations per "
                + "image%n", what, sc.fid(), sc.floorFid(), sc.accuracy(), sc.precision(), sc.recall(), nfe);
        out.flush();
        writeTables(dir, rows, notes);
    }

    private static String describe(ImageSampler s) {
        if (s instanceof DdimSampler d) {
            return String.format("DDIM S=%d eta=%s w=%s", d.steps(), trim(d.eta()), trim(d.guidance()));
        }
        if (s instanceof Sampler p) {
            return String.format("DDPM S=%d %s w=%s", p.steps(), p.diffusion().variance().id(), trim(p.guidance()));
        }
        if (s instanceof PredictorCorrector pc) {
            return String.format("PC %s + %d corrector snr=%s", describe(pc.predictor()), pc.correctorSteps(), trim(pc.snr()));
        }
        AnnealedLangevin a = (AnnealedLangevin) s;
        return String.format(java.util.Locale.ROOT, "Langevin L=%d T=%d eps=%.3g%s w=%s", a.process().levels().levels(),
                a.stepsPerLevel(), a.stepSize(), a.denoises() ? " denoised" : "", trim(a.guidance()));
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private static ImageDataset loadTest(Path dir) throws IOException {
        if (Files.isRegularFile(dir.resolve("t10k-images-idx3-ubyte.gz")) || Files.isRegularFile(dir.resolve("t10k-images-idx3-ubyte"))
                || (dir.equals(FashionMnist.DEFAULT_DIR) && !Files.exists(dir))) {
            return FashionMnist.load(dir, FashionMnist.Split.TEST);
        }
        return org.diffusion4j.data.ImageFolder.load(dir);
    }

    private record Images(float[][] images, int[] labels) {}

    /** The PNGs listed in labels.csv (file,label,...), or every PNG but grid.png, as [−1, 1] pixels. */
    private static Images readImages(Path dir, int[] shape) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "--images: not a directory");
        }
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        Path csv = dir.resolve("labels.csv");
        if (Files.isRegularFile(csv)) {
            List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
            for (int i = 1; i < lines.size(); i++) {
                String[] f = lines.get(i).split(",", 3);
                files.add(dir.resolve(f[0]));
                labels.add(f.length > 1 && !f[1].isEmpty() ? Integer.parseInt(f[1]) : null);
            }
        } else {
            try (var s = Files.list(dir)) {
                s.filter(p -> p.getFileName().toString().endsWith(".png") && !p.getFileName().toString().equals("grid.png"))
                        .sorted().forEach(files::add);
            }
        }
        float[][] images = new float[files.size()][];
        boolean labelled = !labels.isEmpty() && labels.stream().allMatch(java.util.Objects::nonNull);
        int[] y = labelled ? labels.stream().mapToInt(Integer::intValue).toArray() : null;
        for (int i = 0; i < images.length; i++) {
            BufferedImage img = ImageIO.read(files.get(i).toFile());
            if (img == null || img.getHeight() != shape[0] || img.getWidth() != shape[1]) {
                throw new IOException(files.get(i) + ": not a " + shape[1] + "×" + shape[0] + " image the feature network takes");
            }
            float[] v = new float[shape[0] * shape[1] * shape[2]];
            for (int r = 0; r < shape[0]; r++) {
                for (int col = 0; col < shape[1]; col++) {
                    int rgb = img.getRGB(col, r);
                    for (int ch = 0; ch < shape[2]; ch++) {
                        int b = shape[2] == 1 ? img.getRaster().getSample(col, r, 0) : (rgb >> (16 - 8 * ch)) & 0xff;
                        v[(r * shape[1] + col) * shape[2] + ch] = b / 127.5f - 1f;
                    }
                }
            }
            images[i] = v;
        }
        return new Images(images, y);
    }

    private static void write(Path dir, List<Row> rows, List<String> notes, PrintWriter out) throws IOException {
        String md = writeTables(dir, rows, notes);
        out.println();
        out.print(md);
        out.println("wrote " + dir.resolve("results.csv") + " and " + dir.resolve("results.md"));
    }

    /** results.md and results.csv from the rows so far; returns the Markdown. */
    private static String writeTables(Path dir, List<Row> rows, List<String> notes) throws IOException {
        StringBuilder md = new StringBuilder("| images | N | FID | floor FID | accuracy | floor accuracy | precision | recall "
                + "| floor precision | floor recall | NFE | seconds |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        StringBuilder csv = new StringBuilder("images,n,fid,floor_fid,accuracy,floor_accuracy,precision,recall,"
                + "floor_precision,floor_recall,nfe,seconds\n");
        for (Row r : rows) {
            SampleScores s = r.s();
            String nfe = r.nfe() == 0 ? "" : Integer.toString(r.nfe());
            md.append(String.format("| %s | %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %s | %.0f |%n",
                    r.what(), s.n(), s.fid(), s.floorFid(), s.accuracy(), s.floorAccuracy(), s.precision(), s.recall(),
                    s.floorPrecision(), s.floorRecall(), nfe.isEmpty() ? "-" : nfe, r.seconds()));
            csv.append(String.format("\"%s\",%d,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%s,%.1f%n", r.what(), s.n(), s.fid(),
                    s.floorFid(), s.accuracy(), s.floorAccuracy(), s.precision(), s.recall(), s.floorPrecision(),
                    s.floorRecall(), nfe, r.seconds()));
        }
        for (String note : notes) {
            md.append("\n").append(note).append("\n");
        }
        Files.writeString(dir.resolve("results.md"), md.toString(), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("results.csv"), csv.toString(), StandardCharsets.UTF_8);
        return md.toString();
    }
}
