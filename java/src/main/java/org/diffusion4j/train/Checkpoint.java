package org.diffusion4j.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.diffusion4j.diffusion.GaussianDiffusion;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.diffusion.ScoreMatching;
import org.diffusion4j.diffusion.TrainingProcess;
import org.diffusion4j.io.Safetensors;
import org.diffusion4j.latent.LatentSpace;
import org.diffusion4j.nn.UNet;
import org.diffusion4j.nn.UNetConfig;

/**
 * A checkpoint written by {@link Trainer#save}, read for sampling: the U-Net configuration and the
 * whole diffusion process it was trained with, the data set's class names (when the trainer was
 * given them), the step, and the raw or EMA weights to load into a {@link UNet} built from that
 * configuration. Format 3 records the process ({@code diffusion.*} keys); format 2, written
 * before the diffusion core, is read as what that code trained: linear schedule of its
 * {@code timesteps}, ε-prediction, σ² = β̃, L_simple.
 */
public final class Checkpoint {
    /** Metadata key of the class names, one per line, by label. */
    public static final String CLASS_NAMES = "data.class_names";

    private final Path file;
    private final Safetensors.Contents contents;
    private final UNetConfig config;
    private final TrainingProcess process;
    private final long step;
    private final LatentSpace latent;

    private Checkpoint(Path file, Safetensors.Contents contents, UNetConfig config, TrainingProcess process)
            throws IOException {
        this.file = file;
        this.contents = contents;
        this.config = config;
        this.process = process;
        this.latent = LatentSpace.inMetadata(contents.metadata()) ? LatentSpace.fromMetadata(contents.metadata()) : null;
        String s = contents.metadata().getOrDefault("step", "0");
        try {
            this.step = Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IOException(file + ": metadata step is \"" + s + "\", not an integer", e);
        }
        if (step < 0) {
            throw new IOException(file + ": metadata step is " + step + "; it must be >= 0");
        }
    }

    /**
     * Reads and validates {@code file}.
     *
     * @throws IOException when it is not a diffusion4j checkpoint of this format version, or its
     *     configuration is missing or malformed (the message names the key)
     */
    public static Checkpoint read(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        Safetensors.Contents c = Safetensors.read(file);
        Map<String, String> meta = c.metadata();
        String version = meta.get("format_version");
        try {
            if ("2".equals(version)) {
                return new Checkpoint(file, c, UNetConfig.fromMetadata(meta), GaussianDiffusion.of(NoiseSchedule.linear(
                        formatTwoTimesteps(file, meta))));
            }
            if (!Trainer.FORMAT_VERSION.equals(version)) {
                throw new IOException(file + ": checkpoint format version " + version + "; this diffusion4j reads 2 and "
                        + Trainer.FORMAT_VERSION);
            }
            return new Checkpoint(file, c, UNetConfig.fromMetadata(meta), TrainingProcess.fromMetadata(meta));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    private static int formatTwoTimesteps(Path file, Map<String, String> meta) throws IOException {
        String t = meta.getOrDefault("timesteps", "1000");
        try {
            int n = Integer.parseInt(t);
            if (n < 21 || n > NoiseSchedule.MAX_TIMESTEPS) {
                throw new IOException(file + ": metadata timesteps is " + n + "; a format-2 linear schedule has 21 to "
                        + NoiseSchedule.MAX_TIMESTEPS);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IOException(file + ": metadata timesteps is \"" + t + "\", not an integer", e);
        }
    }

    public UNetConfig config() {
        return config;
    }

    public Map<String, String> metadata() {
        return contents.metadata();
    }

    /** The optimisation steps the weights have seen. */
    public long step() {
        return step;
    }

    /** The process the model was trained with: a Gaussian diffusion or a score model's levels. */
    public TrainingProcess process() {
        return process;
    }

    /** Whether the model is a noise-conditional score network ({@link ScoreMatching}). */
    public boolean isScoreModel() {
        return process instanceof ScoreMatching;
    }

    /**
     * The Gaussian diffusion the model was trained with (schedule, parameterisation, loss).
     *
     * @throws IllegalStateException when the checkpoint is a score model (see {@link #scoreMatching})
     */
    public GaussianDiffusion diffusion() {
        if (process instanceof GaussianDiffusion d) {
            return d;
        }
        throw new IllegalStateException(file + " is a score model (" + process + "), not a Gaussian diffusion: sample it "
                + "with annealed Langevin dynamics");
    }

    /**
     * The score model's noise levels.
     *
     * @throws IllegalStateException when the checkpoint is a Gaussian diffusion
     */
    public ScoreMatching scoreMatching() {
        if (process instanceof ScoreMatching s) {
            return s;
        }
        throw new IllegalStateException(file + " is a Gaussian diffusion (" + process + "), not a score model");
    }

    /** The latent space of a latent diffusion model (the autoencoder it was trained on), or null for a pixel-space one. */
    public LatentSpace latentSpace() {
        return latent;
    }

    /** The class names by label, or an empty list when the checkpoint does not name them. */
    public List<String> classNames() {
        String names = contents.metadata().get(CLASS_NAMES);
        return names == null || names.isEmpty() ? List.of() : List.of(names.split("\n", -1));
    }

    /**
     * Copies the EMA weights ({@code ema} true) or the raw weights into {@code model}, whose
     * configuration must build the same parameters as {@link #config()}.
     */
    public void loadWeights(UNet model, boolean ema) throws IOException {
        if (!config.sameArchitecture(model.config())) {
            throw new IOException(file + ": checkpoint of " + config + " does not fit " + model.config());
        }
        model.loadParameters(contents.tensors(), ema ? "ema." : "model.", file + ": checkpoint");
    }
}
