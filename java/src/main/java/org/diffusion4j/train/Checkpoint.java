package org.diffusion4j.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.diffusion4j.io.Safetensors;
import org.diffusion4j.nn.Param;
import org.diffusion4j.nn.UNet;
import org.diffusion4j.nn.UNetConfig;

/**
 * A checkpoint written by {@link Trainer#save}, read for sampling: the U-Net configuration it was
 * trained with, the data set's class names (when the trainer was given them), the step, and the
 * raw or EMA weights to load into a {@link UNet} built from that configuration.
 */
public final class Checkpoint {
    /** Metadata key of the class names, one per line, by label. */
    public static final String CLASS_NAMES = "data.class_names";

    private final Path file;
    private final Safetensors.Contents contents;
    private final UNetConfig config;

    private Checkpoint(Path file, Safetensors.Contents contents, UNetConfig config) {
        this.file = file;
        this.contents = contents;
        this.config = config;
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
        if (!Trainer.FORMAT_VERSION.equals(meta.get("format_version"))) {
            throw new IOException(file + ": checkpoint format version " + meta.get("format_version") + ", expected "
                    + Trainer.FORMAT_VERSION);
        }
        try {
            return new Checkpoint(file, c, UNetConfig.fromMetadata(meta));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
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
        return Long.parseLong(contents.metadata().getOrDefault("step", "0"));
    }

    /** The longest noise schedule a checkpoint may name (the DDPM papers use 1000 to 4000 steps). */
    static final int MAX_TIMESTEPS = 100_000;

    /**
     * The length T of the linear noise schedule the model was trained with (1000 when absent).
     *
     * @throws IOException when the metadata timesteps is not an integer in [1, 100000]
     */
    public int timesteps() throws IOException {
        String t = contents.metadata().getOrDefault("timesteps", "1000");
        int v;
        try {
            v = Integer.parseInt(t);
        } catch (NumberFormatException e) {
            throw new IOException(file + ": metadata timesteps is \"" + t + "\", not an integer", e);
        }
        if (v < 1 || v > MAX_TIMESTEPS) {
            throw new IOException(file + ": metadata timesteps is " + v + "; it must be 1 to " + MAX_TIMESTEPS);
        }
        return v;
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
        String prefix = ema ? "ema." : "model.";
        for (Param p : model.parameters()) {
            Safetensors.Entry e = contents.tensors().get(prefix + p.name());
            if (e == null) {
                throw new IOException(file + ": checkpoint lacks tensor \"" + prefix + p.name() + "\"");
            }
            long[] want = Arrays.stream(p.value().shape()).asLongStream().toArray();
            if (!Arrays.equals(want, e.shape())) {
                throw new IOException(file + ": tensor \"" + prefix + p.name() + "\" has shape " + Arrays.toString(e.shape())
                        + ", the model needs " + Arrays.toString(want));
            }
            p.value().copyFrom(e.data());
        }
    }
}
