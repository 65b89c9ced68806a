package org.diffusion4j.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.io.Safetensors;
import org.diffusion4j.nn.Param;
import org.diffusion4j.nn.UNet;
import org.diffusion4j.nn.UNetConfig;
import org.diffusion4j.ops.MseLoss;
import org.diffusion4j.ops.Optimizer;

/**
 * Trains a {@link UNet} with DDPM's L_simple = ‖ε − ε_θ(x_t, t, y)‖², t uniform, labels dropped
 * to the null class with probability labelDropout; AdamW with linear warm-up, global-norm
 * clipping and an EMA of the weights. Every random choice of step k (timesteps, dropped labels)
 * derives from (seed, k), and the noise from the context's Philox stream, whose position the
 * checkpoint keeps: training N steps equals training k, saving, loading and training N − k.
 */
public final class Trainer implements AutoCloseable {
    /** Checkpoint format version written into the metadata. */
    public static final String FORMAT_VERSION = "2";

    private final Context ctx;
    private final UNet model;
    private final NoiseSchedule schedule;
    private final TrainConfig config;
    private final List<Param> params;
    private final List<Tensor> m = new ArrayList<>();
    private final List<Tensor> v = new ArrayList<>();
    private final List<Tensor> ema = new ArrayList<>();
    private final Tensor loss;
    private final Tensor norm;
    private Tensor xt;
    private Tensor eps;
    private Tensor dPred;
    private long step;

    public Trainer(Context ctx, UNet model, NoiseSchedule schedule, TrainConfig config) {
        this.ctx = Objects.requireNonNull(ctx, "ctx");
        this.model = Objects.requireNonNull(model, "model");
        this.schedule = Objects.requireNonNull(schedule, "schedule");
        this.config = Objects.requireNonNull(config, "config");
        this.params = model.parameters();
        for (Param p : params) {
            m.add(Tensor.zeros(ctx, p.value().shape()));
            v.add(Tensor.zeros(ctx, p.value().shape()));
            ema.add(Tensor.empty(ctx, p.value().shape()).copyFrom(p.value()));
        }
        loss = Tensor.empty(ctx, 1);
        norm = Tensor.empty(ctx, 1);
        ctx.setRng(config.seed(), 0);
    }

    /** Steps taken so far. */
    public long step() {
        return step;
    }

    public UNet model() {
        return model;
    }

    /** The EMA weights, one per parameter in {@link UNet#parameters()} order. */
    public List<Tensor> emaWeights() {
        return List.copyOf(ema);
    }

    /** The learning rate of the next step: linear warm-up to lr. */
    public float learningRate() {
        return config.warmupSteps() == 0 ? config.lr() : config.lr() * Math.min(1f, (step + 1f) / config.warmupSteps());
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
     * One optimisation step on a batch of clean images x0 (N, H, W, C) in [−1, 1] with their
     * labels (or null when the model is unconditional). Returns the batch's loss.
     */
    public float trainStep(Tensor x0, int[] labels) {
        int n = x0.dim(0);
        SplittableRandom r = new SplittableRandom(config.seed() * 0x9E3779B97F4A7C15L + step);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(schedule.timesteps());
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
        dPred = reuse(dPred, x0.shape());
        schedule.qSample(ctx, xt, eps, x0, t);
        model.zeroGrad();
        Tensor pred = model.forward(ctx, xt, t, y, true);
        MseLoss.forward(ctx, loss, dPred, pred, eps);
        model.backward(ctx, dPred);
        List<Tensor> grads = new ArrayList<>();
        List<Tensor> values = new ArrayList<>();
        for (Param p : params) {
            grads.add(p.grad());
            values.add(p.value());
        }
        Optimizer.clipGradNorm(ctx, norm, grads, config.gradClip());
        Optimizer.adamwStep(ctx, values, m, v, grads, new Optimizer.AdamW(learningRate(), 0.9f, 0.999f, 1e-8f,
                config.weightDecay()), step + 1);
        Optimizer.emaUpdate(ctx, ema, values, emaDecay());
        step++;
        return loss.toArray()[0];
    }

    private Tensor reuse(Tensor t, int[] shape) {
        if (t != null && java.util.Arrays.equals(t.shape(), shape)) {
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
        meta.put("train_config", config.toString());
        meta.put("step", Long.toString(step));
        meta.put("rng_seed", Long.toString(ctx.seed()));
        meta.put("rng_offset", Long.toString(ctx.rngOffset()));
        meta.put("timesteps", Integer.toString(schedule.timesteps()));
        for (Map.Entry<String, String> e : extra.entrySet()) {
            if (meta.putIfAbsent(e.getKey(), e.getValue()) != null) {
                throw new IllegalArgumentException("extra metadata key \"" + e.getKey() + "\" is the trainer's own");
            }
        }
        Safetensors.write(file, tensors, meta);
    }

    /** Restores what {@link #save} wrote; the model must have the same configuration. */
    public void load(Path file) throws IOException {
        Safetensors.Contents c = Safetensors.read(file);
        Map<String, String> meta = c.metadata();
        if (!FORMAT_VERSION.equals(meta.get("format_version"))) {
            throw new IOException(file + ": checkpoint format version " + meta.get("format_version") + ", expected "
                    + FORMAT_VERSION);
        }
        UNetConfig saved;
        try {
            saved = UNetConfig.fromMetadata(meta);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        if (!model.config().sameArchitecture(saved)) {
            throw new IOException(file + ": checkpoint of " + saved + " does not fit " + model.config());
        }
        for (int i = 0; i < params.size(); i++) {
            String name = params.get(i).name();
            restore(file, c, "model." + name, params.get(i).value());
            restore(file, c, "ema." + name, ema.get(i));
            restore(file, c, "adam_m." + name, m.get(i));
            restore(file, c, "adam_v." + name, v.get(i));
        }
        try {
            step = Long.parseLong(meta.get("step"));
            ctx.setRng(Long.parseLong(meta.get("rng_seed")), Long.parseLong(meta.get("rng_offset")));
        } catch (NumberFormatException | NullPointerException e) {
            throw new IOException(file + ": checkpoint metadata lacks a valid step or RNG state", e);
        }
    }

    private static Safetensors.Entry entry(Tensor t) {
        long[] shape = java.util.Arrays.stream(t.shape()).asLongStream().toArray();
        return new Safetensors.Entry(shape, t.toArray());
    }

    private static void restore(Path file, Safetensors.Contents c, String key, Tensor into) throws IOException {
        Safetensors.Entry e = c.tensors().get(key);
        if (e == null) {
            throw new IOException(file + ": checkpoint lacks tensor \"" + key + "\"");
        }
        long[] want = java.util.Arrays.stream(into.shape()).asLongStream().toArray();
        if (!java.util.Arrays.equals(want, e.shape())) {
            throw new IOException(file + ": tensor \"" + key + "\" has shape " + java.util.Arrays.toString(e.shape())
                    + ", the model needs " + java.util.Arrays.toString(want));
        }
        into.copyFrom(e.data());
    }

    @Override
    public void close() {
        for (List<Tensor> l : List.of(m, v, ema)) {
            l.forEach(Tensor::close);
        }
        loss.close();
        norm.close();
        for (Tensor t : new Tensor[] {xt, eps, dPred}) {
            if (t != null) {
                t.close();
            }
        }
    }
}
