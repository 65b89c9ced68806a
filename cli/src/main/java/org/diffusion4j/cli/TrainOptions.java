package org.diffusion4j.cli;

import java.nio.file.Path;
import org.diffusion4j.data.FashionMnist;
import org.diffusion4j.data.ImageDataset;
import org.diffusion4j.diffusion.GaussianDiffusion;
import org.diffusion4j.diffusion.LossType;
import org.diffusion4j.diffusion.ModelOutput;
import org.diffusion4j.diffusion.VarianceType;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.diffusion.NoiseLevels;
import org.diffusion4j.diffusion.ScoreMatching;
import org.diffusion4j.diffusion.TrainingProcess;
import org.diffusion4j.nn.UNetConfig;
import org.diffusion4j.train.TrainConfig;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The options of {@code d4j train}, their checks, and what they become in the library: a
 * {@link TrainConfig}, a {@link UNetConfig}, a {@link GaussianDiffusion} (--model ddpm) or a
 * {@link ScoreMatching} (--model ncsn). To add an option: a field
 * here (an enum type gives its values in the help and in the error for a wrong one), its check
 * in {@link #validate}, and its use in the method that builds the library object it configures.
 */
final class TrainOptions {
    // --- what to train on, where to write ---

    @Option(names = "--data", paramLabel = "DIR", description = {"Fashion-MNIST IDX files, or a folder of same-size square "
            + "PNG/JPEG/BMP/GIF images: one subfolder per class (a class-conditional model) or loose (an unconditional one)."})
    Path data = FashionMnist.DEFAULT_DIR;

    @Option(names = "--out", paramLabel = "DIR", description = "Output directory: checkpoint.safetensors, loss.csv, loss.png.")
    Path out = Path.of("out/fashion-mnist");

    @Option(names = "--resume", description = "Continue exactly (weights, optimizer, EMA, step count, data order) from the "
            + "checkpoint in --out; it must exist.")
    boolean resume;

    @Option(names = "--force", description = "Start afresh even if --out holds a checkpoint, replacing it (without --resume "
            + "or --force an existing checkpoint is never overwritten).")
    boolean force;

    // --- how long: --minutes or --steps, not both ---

    @Option(names = "--minutes", paramLabel = "M", description = "Train for M minutes of wall-clock time (10 when "
            + "--steps is not given). Excludes --steps.")
    Double minutes;

    @Option(names = "--steps", paramLabel = "N", description = "Train until the model has made N optimizer steps in all "
            + "(with --resume the checkpoint's steps count: --resume --steps 3000 after 2000 trains 1000 more). "
            + "Excludes --minutes.")
    Long steps;

    // --- optimization (TrainConfig) ---

    @Option(names = "--batch", paramLabel = "N", description = "Images per micro-batch.")
    int batch = 32;

    @Option(names = "--accumulate", paramLabel = "A", description = "Micro-batches whose gradients make one optimizer step "
            + "(an effective batch of A × --batch).")
    int accumulate = 1;

    @Option(names = "--lr", paramLabel = "LR", description = "AdamW peak learning rate.")
    double lr = 1e-3;

    @Option(names = "--warmup", paramLabel = "N", description = "Steps of linear learning-rate warm-up.")
    int warmup = 100;

    @Option(names = "--lr-decay", paramLabel = "KIND", description = "After warm-up: constant, or cosine (to 0 at --steps; "
            + "needs --steps).")
    String lrDecay = "constant";

    @Option(names = "--label-dropout", paramLabel = "P", description = "Probability of training a labelled image with the "
            + "null class (classifier-free guidance), in [0, 1).")
    double labelDropout = 0.1;

    @Option(names = "--ema", paramLabel = "D", description = "Decay of the weights' exponential moving average, in [0, 1).")
    double ema = 0.995;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the weights, the training noise and the data order "
            + "(0; with --resume, the checkpoint's).")
    Long seed;

    // --- the model family ---

    @Option(names = "--model", paramLabel = "KIND", description = "ddpm (a Gaussian diffusion: --schedule, --timesteps, "
            + "--prediction, --variance, --loss) or ncsn (a noise-conditional score network over geometric noise levels "
            + "trained by denoising score matching: --sigma-max, --sigma-min, --levels).")
    String model = "ddpm";

    // --- the score model's noise levels (ScoreMatching) ---

    @Option(names = "--sigma-max", paramLabel = "S", description = "--model ncsn: the largest noise level σ_1 (default: "
            + "NCSNv2's technique 1, the largest distance between two of " + SIGMA_MAX_SAMPLE + " training images).")
    Double sigmaMax;

    @Option(names = "--sigma-min", paramLabel = "S", description = "--model ncsn: the smallest noise level σ_L (NCSNv2's "
            + "0.01 for data in [0, 1], here in [-1, 1]).")
    double sigmaMin = 0.02;

    @Option(names = "--levels", paramLabel = "L", description = "--model ncsn: the number of levels (default: NCSNv2's "
            + "technique 2 for the data's dimension).")
    Integer levels;

    // --- the diffusion process (GaussianDiffusion) ---

    @Option(names = "--schedule", paramLabel = "KIND", description = "Noise schedule: linear (DDPM) or cosine (Improved DDPM).")
    String schedule = "linear";

    @Option(names = "--timesteps", paramLabel = "T", description = "Diffusion steps T of the schedule.")
    int timesteps = 1000;

    @Option(names = "--prediction", paramLabel = "KIND", description = "What the network predicts: epsilon, x0 or v.")
    String prediction = "epsilon";

    @Option(names = "--variance", paramLabel = "KIND", description = "Reverse variance: fixed_beta_tilde (β̃, DDPM's "
            + "σ² for sampling), fixed_beta (β), or learned (Improved DDPM: the network also outputs the variance, trained "
            + "with --loss hybrid).")
    String variance = "fixed_beta_tilde";

    @Option(names = "--loss", paramLabel = "KIND", description = "Training loss: simple (L_simple), min_snr (Min-SNR-γ "
            + "weighting) or hybrid (L_simple + 0.001 L_vlb; needs --variance learned). Default: hybrid with --variance "
            + "learned, else simple.")
    String loss;

    @Option(names = "--min-snr-gamma", paramLabel = "G", description = "γ of --loss min_snr.")
    double minSnrGamma = 5;

    // --- latent diffusion ---

    @Option(names = "--latent", paramLabel = "FILE", description = "Latent diffusion: train on the latents of this "
            + "autoencoder (d4j train-autoencoder) instead of the pixels, each image encoded once (its mode) and scaled to "
            + "unit variance; the U-Net is the latent preset (one level at the latent's size, --base 64 by default); the "
            + "checkpoint names the autoencoder, and d4j sample decodes with it.")
    Path latent;

    // --- the network (UNetConfig) ---

    @Option(names = "--base", paramLabel = "C", description = "U-Net base channels (levels of C, 2C, 2C); the checkpoint "
            + "records the configuration.")
    int base = 32;

    @Option(names = "--dropout", paramLabel = "P", description = "Dropout probability in the residual blocks, in [0, 1).")
    double dropout = 0;

    @Option(names = "--unconditional", description = "Ignore the data's classes: an unconditional model (to be steered "
            + "by a classifier with d4j sample --classifier, or sampled as is).")
    boolean unconditional;

    // --- where to run, what to print ---

    @Option(names = "--device", paramLabel = "DEVICE", description = D4j.DEVICE_HELP)
    String device = "best";

    @Option(names = "--precision", paramLabel = "P", description = D4j.PRECISION_HELP)
    String precision = "fp32";

    @Option(names = "--conv", paramLabel = "ALGO", description = D4j.CONV_HELP)
    String conv = "auto";

    @Option(names = "--quiet", description = "No progress lines.")
    boolean quiet;

    static final double DEFAULT_MINUTES = 10;
    /** Training images (the first of a shuffle seeded by --seed) over which --sigma-max's default is measured. */
    static final int SIGMA_MAX_SAMPLE = 5000;
    /** The options that configure a Gaussian diffusion, refused with --model ncsn. */
    private static final String[] DIFFUSION_OPTIONS = {"--schedule", "--timesteps", "--prediction", "--variance", "--loss",
        "--min-snr-gamma"};
    private static final String[] SCORE_OPTIONS = {"--sigma-max", "--sigma-min", "--levels"};

    /** Checks every value; a bad one is a usage error naming the option and the value. */
    void validate(CommandSpec spec) {
        if (minutes != null && steps != null) {
            throw new ParameterException(spec.commandLine(), "--minutes and --steps exclude each other: give one "
                    + "(--steps N trains to N steps, --minutes M for M minutes)");
        }
        if (resume && force) {
            throw new ParameterException(spec.commandLine(), "--resume and --force exclude each other: --resume continues "
                    + "the checkpoint, --force replaces it");
        }
        if (minutes != null) {
            Check.positive(spec, "--minutes", minutes);
        }
        if (steps != null) {
            Check.atLeast(spec, "--steps", steps, 1);
        }
        Check.oneOf(spec, "--model", model, "ddpm", "ncsn");
        if (latent != null && score()) {
            throw new ParameterException(spec.commandLine(), "--latent trains a Gaussian diffusion on latents; with "
                    + "--model ncsn it is not supported yet");
        }
        for (String o : score() ? DIFFUSION_OPTIONS : SCORE_OPTIONS) {
            if (spec.commandLine().getParseResult().hasMatchedOption(o)) {
                throw new ParameterException(spec.commandLine(), o + " configures " + (score() ? "a Gaussian diffusion "
                        + "(--model ddpm)" : "a score model (--model ncsn)") + "; this is --model " + model);
            }
        }
        Check.positive(spec, "--sigma-min", sigmaMin);
        if (sigmaMax != null && !(sigmaMax > sigmaMin)) {
            throw Check.invalid(spec, "--sigma-max", sigmaMax, "it must exceed --sigma-min (" + sigmaMin + ")");
        }
        if (levels != null) {
            Check.atLeast(spec, "--levels", levels, 2);
            if (levels > NoiseLevels.MAX_LEVELS) {
                throw Check.invalid(spec, "--levels", levels, "at most " + NoiseLevels.MAX_LEVELS);
            }
        }
        Check.atLeast(spec, "--batch", batch, 1);
        Check.atLeast(spec, "--accumulate", accumulate, 1);
        Check.fraction(spec, "--label-dropout", labelDropout);
        Check.atLeast(spec, "--timesteps", timesteps, 2);
        Check.positive(spec, "--min-snr-gamma", minSnrGamma);
        Check.oneOf(spec, "--schedule", schedule, "linear", "cosine");
        Check.oneOf(spec, "--prediction", prediction, "epsilon", "x0", "v");
        Check.oneOf(spec, "--variance", variance, "fixed_beta_tilde", "fixed_beta", "learned");
        if (loss != null) {
            Check.oneOf(spec, "--loss", loss, "simple", "min_snr", "hybrid");
            if (loss.equals("hybrid") != learned()) {
                throw new ParameterException(spec.commandLine(), learned()
                        ? "--variance learned trains with --loss hybrid (only L_vlb trains the variance); --loss is " + loss
                        : "--loss hybrid trains a learned variance: add --variance learned");
            }
        }
        Check.oneOf(spec, "--lr-decay", lrDecay, "constant", "cosine");
        D4j.parsePrecision(spec, precision);
        D4j.parseConv(spec, conv);
        if (lrDecay.equals("cosine") && steps == null) {
            throw new ParameterException(spec.commandLine(), "--lr-decay cosine decays to 0 at --steps: give --steps");
        }
        if (schedule.equals("linear") && timesteps <= 20) {
            throw Check.invalid(spec, "--timesteps", timesteps, "the linear schedule scales β to 0.02·1000/T, so T must exceed 20");
        }
        Check.positive(spec, "--lr", lr);
        Check.atLeast(spec, "--warmup", warmup, 0);
        Check.fraction(spec, "--ema", ema);
        Check.atLeast(spec, "--base", base, 1);
        Check.fraction(spec, "--dropout", dropout);
    }

    /** The checkpoint in --out. */
    Path checkpoint() {
        return out.resolve("checkpoint.safetensors");
    }

    /** The step count to stop at; Long.MAX_VALUE when training by time. */
    long maxSteps() {
        return steps == null ? Long.MAX_VALUE : steps;
    }

    /** The time budget in minutes; only read when training by time. */
    double minutes() {
        return minutes == null ? DEFAULT_MINUTES : minutes;
    }

    /**
     * Batch and accumulation, AdamW (lr, warm-up, decay, no weight decay, clipping at norm 1), EMA, null labels, seed,
     * the precision of the convolutions and linear layers.
     */
    TrainConfig trainConfig(long seedToUse) {
        TrainConfig c = new TrainConfig(batch, (float) lr, warmup, 0f, 1f, (float) ema, (float) labelDropout, seedToUse)
                .withAccumulation(accumulate).withPrecision(D4j.parsePrecision(null, precision));
        return lrDecay.equals("cosine") ? c.withCosineDecay(maxSteps()) : c;
    }

    boolean learned() {
        return !score() && variance.equals("learned");
    }

    boolean score() {
        return model.equals("ncsn");
    }

    /** The process --model names: {@link #diffusion()}, or {@link #scoreMatching} over the data's levels. */
    TrainingProcess process(ImageDataset data, java.io.PrintWriter log) {
        return score() ? scoreMatching(data, log) : diffusion();
    }

    /**
     * The noise levels of --model ncsn: σ_1 from --sigma-max or NCSNv2's technique 1 (the largest
     * pairwise distance among {@value #SIGMA_MAX_SAMPLE} seeded training images), σ_L = --sigma-min,
     * and --levels or technique 2's count for the data's dimension; printed to {@code log}.
     */
    ScoreMatching scoreMatching(ImageDataset data, java.io.PrintWriter log) {
        int dim = data.height() * data.width() * data.channels();
        double max;
        if (sigmaMax != null) {
            max = sigmaMax;
        } else {
            int m = Math.min(SIGMA_MAX_SAMPLE, data.size());
            int[] idx = java.util.stream.IntStream.range(0, data.size()).toArray();
            java.util.SplittableRandom r = new java.util.SplittableRandom(seed == null ? 0 : seed);
            float[][] images = new float[m][];
            for (int i = 0; i < m; i++) { // the first m of a Fisher–Yates shuffle
                int j = i + r.nextInt(data.size() - i);
                int v = idx[j];
                idx[j] = idx[i];
                idx[i] = v;
                images[i] = data.image(v);
            }
            max = NoiseLevels.maxPairwiseDistance(images);
            log.printf("sigma_1 = %.4f: the largest distance between two of %d training images (NCSNv2 technique 1)%n", max, m);
            if (!(max > sigmaMin)) {
                throw new IllegalArgumentException("--data: the largest distance between images is " + max
                        + ", not above --sigma-min " + sigmaMin + "; give --sigma-max");
            }
        }
        NoiseLevels l = levels != null ? NoiseLevels.geometric(max, sigmaMin, levels) : NoiseLevels.ncsnv2(max, sigmaMin, dim);
        if (levels == null) {
            log.printf("L = %d levels: NCSNv2 technique 2 for %d dimensions (ratio %.5f)%n", l.levels(), dim,
                    NoiseLevels.ncsnv2Ratio(dim));
        }
        return new ScoreMatching(l);
    }

    /** The small U-Net preset sized for the data (no classes with --unconditional), with variance channels for --variance learned. */
    /** The default --base of a latent model: its 7×7 maps are cheap, so it can afford twice the pixel preset's width. */
    static final int LATENT_BASE = 64;

    /** The U-Net for data (pixels, or latents with --latent). */
    UNetConfig unetConfig(ImageDataset data, boolean baseGiven) {
        int classes = unconditional ? 0 : data.classNames().size();
        UNetConfig c = latent != null ? UNetConfig.latent(data.height(), data.channels(), classes, baseGiven ? base
                : LATENT_BASE) : UNetConfig.small(data.height(), data.channels(), classes, base);
        return c.withDropout((float) dropout).withLearnedVariance(learned());
    }

    /** The forward process and parameterisation: --schedule over --timesteps, --prediction, --variance, --loss. */
    GaussianDiffusion diffusion() {
        NoiseSchedule s = schedule.equals("cosine") ? NoiseSchedule.cosine(timesteps) : NoiseSchedule.linear(timesteps);
        VarianceType v = learned() ? VarianceType.LEARNED_RANGE : VarianceType.ofId(variance);
        LossType l = loss != null ? LossType.ofId(loss) : learned() ? LossType.HYBRID : LossType.SIMPLE;
        return GaussianDiffusion.of(s).withOutput(ModelOutput.ofId(prediction)).withVariance(v).withLoss(l)
                .withMinSnrGamma(minSnrGamma);
    }
}
