package org.diffusion4j.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import org.diffusion4j.Context;
import org.diffusion4j.Seeds;
import org.diffusion4j.Tensor;
import org.diffusion4j.data.ImageDataset;
import org.diffusion4j.diffusion.GaussianDiffusion;
import org.diffusion4j.diffusion.LossType;
import org.diffusion4j.diffusion.TrainingProcess;
import org.diffusion4j.diffusion.VarianceType;
import org.diffusion4j.io.Safetensors;
import org.diffusion4j.nn.Param;
import org.diffusion4j.nn.UNet;
import org.diffusion4j.nn.UNetConfig;
import org.diffusion4j.ops.Add;
import org.diffusion4j.ops.Optimizer;

/**
 * Trains a {@link UNet} on a {@link TrainingProcess}'s objective: t uniform, x_t from q(x_t|x_0),
 * the (weighted) squared error of the model output against the diffusion's target (ε, x_0 or v)
 * — or, for Improved DDPM's learned variance, L_hybrid = L_simple + λ L_vlb on a network with 2C
 * output channels ({@link GaussianDiffusion#trainingLoss}); for a score model
 * ({@link org.diffusion4j.diffusion.ScoreMatching}) denoising score matching over its noise levels —
 * labels dropped to the null class with probability labelDropout; AdamW with linear warm-up and
 * optional cosine decay, gradient accumulation, global-norm clipping and an EMA of the weights.
 *
 * <p>{@link #fit} is the whole training loop (data order, stopping rule, checkpoint cadence, a
 * listener), what {@code d4j train} runs. Random streams: the noise of q_sample and dropout comes
 * from the context's Philox stream, set here to the key {@link Seeds.Purpose#TRAINING_NOISE} of
 * the seed; timesteps and dropped labels from {@link Seeds.Purpose#TRAINING_CHOICES} and the step;
 * the data order from {@link Seeds.Purpose#DATA_ORDER}. A checkpoint keeps the step and the noise
 * stream's position, so training N steps equals training k, saving, loading into a fresh process
 * and training N − k, bit for bit.
 *
 * <p>The trainer sets its context's precision to {@link TrainConfig#precision()}: with
 * {@link org.diffusion4j.Precision#BF16} the network's convolutions and linear layers multiply
 * bf16-rounded operands with float32 sums (forward and both backward products) while the weights,
 * AdamW state, EMA, clipping and losses stay float32. The setting stays on the context after
 * the trainer closes.
 */
public final class Trainer implements AutoCloseable {
    /** Checkpoint format version written into the metadata (2: no diffusion.* keys). */
    public static final String FORMAT_VERSION = "3";

    private final Context ctx;
    private final UNet model;
    private final TrainingProcess process;
    private final TrainConfig config;
    private final long choicesKey;
    private final List<Param> params;
    private final List<Tensor> values = new ArrayList<>();
    private final List<Tensor> grads = new ArrayList<>();
    private final List<Tensor> m = new ArrayList<>();
    private final List<Tensor> v = new ArrayList<>();
    private final List<Tensor> ema = new ArrayList<>();
    private final Tensor loss;
    private final Tensor stepLoss;
    private final Tensor intervalLoss;
    private final Tensor norm;
    private Tensor xt;
    private Tensor eps;
    private Tensor target;
    private Tensor dOut;
    private long step;
    private int micro;
    private int intervalSteps;

    public Trainer(Context ctx, UNet model, TrainingProcess process, TrainConfig config) {
        this.ctx = Objects.requireNonNull(ctx, "ctx");
        this.model = Objects.requireNonNull(model, "model");
        this.process = Objects.requireNonNull(process, "process");
        this.config = Objects.requireNonNull(config, "config");
        checkVariance(model.config(), process);
        ctx.setPrecision(config.precision()); // before anything is allocated: BF16 is refused where it has no kernels
        this.choicesKey = Seeds.derive(config.seed(), Seeds.Purpose.TRAINING_CHOICES);
        this.params = model.parameters();
        for (Param p : params) {
            values.add(p.value());
            grads.add(p.grad());
            m.add(Tensor.zeros(ctx, p.value().shape()));
            v.add(Tensor.zeros(ctx, p.value().shape()));
            ema.add(Tensor.empty(ctx, p.value().shape()).copyFrom(p.value()));
        }
        loss = Tensor.empty(ctx, 1);
        stepLoss = Tensor.zeros(ctx, 1);
        intervalLoss = Tensor.zeros(ctx, 1);
        norm = Tensor.empty(ctx, 1);
        ctx.setRng(Seeds.derive(config.seed(), Seeds.Purpose.TRAINING_NOISE), 0);
    }

    /**
     * Learned variance goes with the hybrid loss (the variance gets its gradient only from
     * L_vlb) and a network with 2C output channels; fixed variance with neither.
     */
    static void checkVariance(UNetConfig config, TrainingProcess process) {
        if (!(process instanceof GaussianDiffusion diffusion)) {
            if (config.learnVariance()) {
                throw new IllegalArgumentException("a score model's network outputs the noise only; build it without "
                        + "learnVariance");
            }
            return;
        }
        boolean learned = diffusion.variance() == VarianceType.LEARNED_RANGE;
        if (learned != (diffusion.loss() == LossType.HYBRID)) {
            throw new IllegalArgumentException(learned
                    ? "learned variance trains with the hybrid loss (only L_vlb reaches the variance); the loss is "
                            + diffusion.loss().id()
                    : "the hybrid loss trains a learned variance; the variance is " + diffusion.variance().id());
        }
        if (learned != config.learnVariance()) {
            throw new IllegalArgumentException(learned
                    ? "learned variance needs a network with 2C output channels (UNetConfig.withLearnedVariance(true))"
                    : "the network outputs a variance (learnVariance) but the diffusion's variance is "
                            + diffusion.variance().id() + "; use VarianceType.LEARNED_RANGE with LossType.HYBRID");
        }
    }

    /** Optimizer steps taken so far. */
    public long step() {
        return step;
    }

    public UNet model() {
        return model;
    }

    /** The process trained: a {@link GaussianDiffusion} or a score model's noise levels. */
    public TrainingProcess process() {
        return process;
    }

    public TrainConfig config() {
        return config;
    }

    /** The EMA weights, one per parameter in {@link UNet#parameters()} order. */
    public List<Tensor> emaWeights() {
        return List.copyOf(ema);
    }

    /** The learning rate of the next step. */
    public float learningRate() {
        return config.learningRate(step);
    }

    /**
     * The EMA decay of the next step: min(decay, (1 + k)/(10 + k)) at step k, so the average
     * forgets the random initialisation within the first few hundred steps of a short run and
     * reaches the configured decay (0.9999 needs ~90k steps) in long ones.
     */
    public float emaDecay() {
        return (float) Math.min(config.emaDecay(), (1.0 + step) / (10.0 + step));
    }

    /**
     * One micro-batch of clean images x0 (N, H, W, C) in [−1, 1] with their labels (null for an
     * unconditional model): forward, loss, backward into the accumulated gradients. After every
     * {@link TrainConfig#accumulation()}-th call the optimizer steps (clip, AdamW, EMA). The loss
     * stays on the device: {@link #lastLoss()} reads it.
     */
    public void trainStep(Tensor x0, int[] labels) {
        Objects.requireNonNull(x0, "x0");
        int n = x0.dim(0);
        if (labels != null && labels.length != n) {
            throw new IllegalArgumentException("labels has " + labels.length + " entries but x0 has " + n + " images");
        }
        SplittableRandom r = new SplittableRandom(choicesKey ^ ((step * config.accumulation() + micro) * 0x9E3779B97F4A7C15L));
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(process.timesteps());
        }
        int[] modelT = new int[n];
        for (int i = 0; i < n; i++) {
            modelT[i] = process.modelTimestep(t[i]);
        }
        int[] y = null;
        if (labels != null) {
            y = labels.clone();
            for (int i = 0; i < n; i++) {
                if (r.nextDouble() < config.labelDropout()) {
                    y[i] = model.config().classes(); // the null class
                }
            }
        }
        xt = reuse(xt, x0.shape());
        eps = reuse(eps, x0.shape());
        target = reuse(target, x0.shape());
        int[] outShape = x0.shape();
        outShape[outShape.length - 1] = model.config().outChannels();
        dOut = reuse(dOut, outShape);
        process.qSample(ctx, xt, eps, x0, t);
        Tensor tgt = process.trainingTarget(ctx, target, x0, eps, t);
        if (micro == 0) {
            model.zeroGrad();
        }
        Tensor out = model.forward(ctx, xt, modelT, y, true);
        process.trainingLoss(ctx, loss, dOut, out, tgt, x0, xt, t, 1.0 / config.accumulation());
        model.backward(ctx, dOut);
        if (micro == 0) {
            stepLoss.copyFrom(loss);
        } else {
            Add.forward(ctx, stepLoss, stepLoss, loss);
        }
        if (++micro == config.accumulation()) {
            update();
        }
    }

    private void update() {
        Optimizer.clipGradNorm(ctx, norm, grads, config.gradClip());
        Optimizer.adamwStep(ctx, values, m, v, grads, new Optimizer.AdamW(learningRate(), 0.9f, 0.999f, 1e-8f,
                config.weightDecay()), step + 1);
        Optimizer.emaUpdate(ctx, ema, values, emaDecay());
        Add.forward(ctx, intervalLoss, intervalLoss, stepLoss);
        intervalSteps++;
        micro = 0;
        step++;
    }

    /** The loss of the last optimizer step (the mean over its micro-batches); reading it syncs the device. */
    public float lastLoss() {
        return stepLoss.toArray()[0];
    }

    /** The mean loss of the steps since the last call (NaN if none), then resets it. */
    private double takeIntervalLoss() {
        if (intervalSteps == 0) {
            return Double.NaN;
        }
        double mean = intervalLoss.toArray()[0] / (double) intervalSteps;
        intervalLoss.fill(0f);
        intervalSteps = 0;
        return mean;
    }

    /**
     * Trains on {@code data} until {@code fit}'s step or time limit or the listener's veto: each
     * optimizer step takes accumulation × batch images in the seeded epoch order, reports every
     * {@link Fit#logEvery()} steps, and saves every {@link Fit#checkpointEvery()} steps and at
     * the end. A resumed trainer continues the data order where it stopped.
     */
    public TrainSummary fit(ImageDataset data, Fit fit, TrainListener listener) throws IOException {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(fit, "fit");
        TrainListener l = listener == null ? TrainListener.NONE : listener;
        UNetConfig mc = model.config();
        if (data.height() != mc.imageSize() || data.width() != mc.imageSize() || data.channels() != mc.channels()) {
            throw new IllegalArgumentException("the data's images are " + data.height() + "×" + data.width() + "×"
                    + data.channels() + " but the model takes " + mc.imageSize() + "×" + mc.imageSize() + "×" + mc.channels());
        }
        boolean conditional = mc.classes() > 0;
        if (conditional && data.classNames().size() != mc.classes()) {
            throw new IllegalArgumentException("the data has " + data.classNames().size() + " classes but the model "
                    + mc.classes());
        }
        int b = config.batchSize();
        int pixels = data.height() * data.width() * data.channels();
        float[] batch = new float[b * pixels];
        int[] labels = conditional ? new int[b] : null;
        DataOrder order = new DataOrder(config.seed(), data.size());
        long start = System.nanoTime();
        long firstStep = step;
        long budget = fit.maxTime() == null ? Long.MAX_VALUE : fit.maxTime().toNanos();
        long reported = -1;
        double lastLoss = Double.NaN;
        takeIntervalLoss();
        try (Tensor x0 = Tensor.empty(ctx, b, data.height(), data.width(), data.channels())) {
            boolean stop = false;
            while (!stop && step < fit.maxSteps() && System.nanoTime() - start < budget) {
                for (int mb = 0; mb < config.accumulation(); mb++) {
                    long first = (step * config.accumulation() + mb) * b;
                    for (int i = 0; i < b; i++) {
                        int idx = order.index(first + i);
                        System.arraycopy(data.image(idx), 0, batch, i * pixels, pixels);
                        if (conditional) {
                            labels[i] = data.label(idx);
                        }
                    }
                    x0.copyFrom(batch);
                    trainStep(x0, labels);
                }
                if (step % fit.logEvery() == 0) {
                    lastLoss = takeIntervalLoss();
                    stop = !l.onProgress(progress(fit, start, firstStep, lastLoss));
                    reported = step;
                }
                if (fit.checkpoint() != null && step % fit.checkpointEvery() == 0) {
                    save(fit.checkpoint(), fit.metadata());
                    l.onCheckpoint(fit.checkpoint(), step);
                }
            }
        }
        if (reported != step && step > firstStep) {
            lastLoss = takeIntervalLoss();
            l.onProgress(progress(fit, start, firstStep, lastLoss));
        }
        if (fit.checkpoint() != null && (step % fit.checkpointEvery() != 0 || step == firstStep)) {
            save(fit.checkpoint(), fit.metadata());
            l.onCheckpoint(fit.checkpoint(), step);
        }
        return new TrainSummary(step, step - firstStep, (System.nanoTime() - start) / 1e9, lastLoss);
    }

    private TrainProgress progress(Fit fit, long start, long firstStep, double meanLoss) {
        double secs = (System.nanoTime() - start) / 1e9;
        long run = step - firstStep;
        double f = 0;
        if (fit.maxSteps() != Long.MAX_VALUE) {
            f = Math.max(f, fit.maxSteps() == firstStep ? 1 : (double) run / (fit.maxSteps() - firstStep));
        }
        if (fit.maxTime() != null) {
            f = Math.max(f, secs / (fit.maxTime().toNanos() / 1e9));
        }
        f = Math.min(1, f);
        double eta = f > 0 ? secs * (1 - f) / f : Double.NaN;
        return new TrainProgress(step, run, meanLoss, config.learningRate(Math.max(0, step - 1)),
                secs > 0 ? run / secs : 0, secs, f, eta);
    }

    private Tensor reuse(Tensor t, int[] shape) {
        if (t != null && Arrays.equals(t.shape(), shape)) {
            return t;
        }
        if (t != null) {
            t.close();
        }
        return Tensor.empty(ctx, shape);
    }

    /** Writes weights, EMA weights, AdamW moments and the training state to {@code file}, atomically. */
    public void save(Path file) throws IOException {
        save(file, Map.of());
    }

    /**
     * As {@link #save(Path)}, adding {@code extra} string entries (such as the data set's class
     * names) to the metadata; they must not reuse the trainer's own keys.
     */
    public void save(Path file, Map<String, String> extra) throws IOException {
        if (micro != 0) {
            throw new IllegalStateException("save between optimizer steps: " + micro + " of " + config.accumulation()
                    + " micro-batches are accumulated");
        }
        Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            String name = params.get(i).name();
            tensors.put("model." + name, entry(params.get(i).value()));
            tensors.put("ema." + name, entry(ema.get(i)));
            tensors.put("adam_m." + name, entry(m.get(i)));
            tensors.put("adam_v." + name, entry(v.get(i)));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "diffusion4j");
        meta.put("format_version", FORMAT_VERSION);
        meta.put("config", model.config().toString());
        meta.putAll(model.config().toMetadata());
        meta.putAll(process.toMetadata());
        meta.put("train_config", config.toString());
        meta.put("seed", Long.toString(config.seed()));
        meta.put("step", Long.toString(step));
        meta.put("rng_seed", Long.toString(ctx.seed()));
        meta.put("rng_offset", Long.toString(ctx.rngOffset()));
        for (Map.Entry<String, String> e : extra.entrySet()) {
            if (meta.putIfAbsent(e.getKey(), e.getValue()) != null) {
                throw new IllegalArgumentException("extra metadata key \"" + e.getKey() + "\" is the trainer's own");
            }
        }
        Safetensors.write(file, tensors, meta);
    }

    /**
     * Restores what {@link #save} wrote. The model must have the same configuration, the trainer
     * the same diffusion and seed. Every tensor is checked before any is overwritten, so a bad
     * file leaves the trainer as it was.
     */
    public void load(Path file) throws IOException {
        Safetensors.Contents c = Safetensors.read(file);
        Map<String, String> meta = c.metadata();
        String version = meta.get("format_version");
        if ("2".equals(version)) {
            throw new IOException(file + ": a format-2 checkpoint (diffusion4j before the diffusion core) samples but "
                    + "cannot resume training: its random streams differ; start a new training from its weights");
        }
        if (!FORMAT_VERSION.equals(version)) {
            throw new IOException(file + ": checkpoint format version " + version + ", expected " + FORMAT_VERSION);
        }
        UNetConfig saved;
        TrainingProcess savedProcess;
        long savedStep;
        long rngSeed;
        long rngOffset;
        try {
            saved = UNetConfig.fromMetadata(meta);
            savedProcess = TrainingProcess.fromMetadata(meta);
            savedStep = Long.parseLong(Objects.requireNonNull(meta.get("step"), "step"));
            rngSeed = Long.parseLong(Objects.requireNonNull(meta.get("rng_seed"), "rng_seed"));
            rngOffset = Long.parseLong(Objects.requireNonNull(meta.get("rng_offset"), "rng_offset"));
            long seed = Long.parseLong(Objects.requireNonNull(meta.get("seed"), "seed"));
            if (seed != config.seed()) {
                throw new IOException(file + ": checkpoint was trained with seed " + seed + "; this trainer has seed "
                        + config.seed() + " (resume with the same seed)");
            }
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IOException(file + ": " + (e instanceof NullPointerException ? "metadata lacks " : "") + e.getMessage(),
                    e);
        }
        if (savedStep < 0) {
            throw new IOException(file + ": step is " + savedStep);
        }
        if (!model.config().sameArchitecture(saved)) {
            throw new IOException(file + ": checkpoint of " + saved + " does not fit " + model.config());
        }
        if (!savedProcess.equals(process)) {
            throw new IOException(file + ": checkpoint was trained with " + savedProcess + "; this trainer has "
                    + process);
        }
        List<Tensor> into = new ArrayList<>();
        List<Safetensors.Entry> from = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            String name = params.get(i).name();
            for (String prefix : new String[] {"model.", "ema.", "adam_m.", "adam_v."}) {
                Tensor dst = switch (prefix) {
                    case "model." -> params.get(i).value();
                    case "ema." -> ema.get(i);
                    case "adam_m." -> m.get(i);
                    default -> v.get(i);
                };
                from.add(checked(file, c, prefix + name, dst));
                into.add(dst);
            }
        }
        for (int i = 0; i < into.size(); i++) { // only now, every tensor valid, overwrite
            into.get(i).copyFrom(from.get(i).data());
        }
        step = savedStep;
        micro = 0;
        ctx.setRng(rngSeed, rngOffset);
    }

    private static Safetensors.Entry entry(Tensor t) {
        long[] shape = Arrays.stream(t.shape()).asLongStream().toArray();
        return new Safetensors.Entry(shape, t.toArray());
    }

    private static Safetensors.Entry checked(Path file, Safetensors.Contents c, String key, Tensor into) throws IOException {
        Safetensors.Entry e = c.tensors().get(key);
        if (e == null) {
            throw new IOException(file + ": checkpoint lacks tensor \"" + key + "\"");
        }
        long[] want = Arrays.stream(into.shape()).asLongStream().toArray();
        if (!Arrays.equals(want, e.shape())) {
            throw new IOException(file + ": tensor \"" + key + "\" has shape " + Arrays.toString(e.shape())
                    + ", the model needs " + Arrays.toString(want));
        }
        for (float f : e.data()) {
            if (!Float.isFinite(f)) {
                throw new IOException(file + ": tensor \"" + key + "\" holds " + f);
            }
        }
        return e;
    }

    @Override
    public void close() {
        for (List<Tensor> l : List.of(m, v, ema)) {
            l.forEach(Tensor::close);
        }
        for (Tensor t : new Tensor[] {loss, stepLoss, intervalLoss, norm, xt, eps, target, dOut}) {
            if (t != null) {
                t.close();
            }
        }
    }
}
