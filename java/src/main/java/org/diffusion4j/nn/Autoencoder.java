package org.diffusion4j.nn;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.io.Safetensors;
import org.diffusion4j.ops.LatentSample;

/**
 * The KL-regularised autoencoder of latent diffusion (Rombach et al. 2022), which is also a VAE
 * (Kingma &amp; Welling 2014): an {@link AutoencoderEncoder} to the moments of q(z|x) =
 * N(μ, diag e^ℓ), a {@link AutoencoderDecoder} from z back to the image. Saved as safetensors
 * with its configuration ({@code autoencoder.*}) and the decoder's variance σ² of the Gaussian
 * likelihood p(x|z) = N(x̂, σ² I) the bound is computed with; {@link #fingerprint} identifies its
 * weights, so a latent diffusion checkpoint can name the autoencoder it was trained on.
 */
public final class Autoencoder extends Module {
    public static final String FORMAT = "diffusion4j-autoencoder";
    public static final String FORMAT_VERSION = "1";
    /** Metadata key of the decoder variance σ². */
    public static final String DECODER_VARIANCE = "autoencoder.decoder_variance";

    private final AutoencoderConfig config;
    private final AutoencoderEncoder encoder;
    private final AutoencoderDecoder decoder;
    private final Map<String, String> metadata;

    /** A fresh autoencoder with weights from ctx's random stream. */
    public Autoencoder(Context ctx, AutoencoderConfig config) {
        this(ctx, config, Map.of());
    }

    private Autoencoder(Context ctx, AutoencoderConfig config, Map<String, String> metadata) {
        super(ctx, "autoencoder");
        this.config = Objects.requireNonNull(config, "config");
        encoder = child(new AutoencoderEncoder(ctx, "encoder", config));
        decoder = child(new AutoencoderDecoder(ctx, "decoder", config));
        this.metadata = Map.copyOf(metadata);
    }

    public AutoencoderConfig config() {
        return config;
    }

    public AutoencoderEncoder encoder() {
        return encoder;
    }

    public AutoencoderDecoder decoder() {
        return decoder;
    }

    /** The metadata the file it was loaded from holds (empty for a fresh one). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Latents (N, w, w, c) of images (N, W, W, C): the mode μ of q(z|x) (deterministic), or a
     * sample z = μ + e^{ℓ/2} ε from ctx's random stream; the caller closes the result.
     */
    public Tensor encode(Context ctx, Tensor images, boolean sample) {
        Tensor moments = encoder.forward(ctx, images);
        Tensor z = Tensor.empty(ctx, config.latentShape(images.dim(0)));
        try (Tensor eps = sample ? Tensor.empty(ctx, z.shape()) : null) {
            LatentSample.forward(ctx, z, eps, moments);
        }
        return z;
    }

    /** Images x̂ (N, W, W, C) decoded from latents (N, w, w, c); the caller closes the result. */
    public Tensor decode(Context ctx, Tensor latents) {
        Tensor x = decoder.forward(ctx, latents);
        Tensor out = Tensor.empty(ctx, x.shape());
        out.copyFrom(x);
        return out;
    }

    /**
     * A hash of the configuration and every weight's bits (SHA-256, hex): equal exactly when two
     * autoencoders compute the same function with the same parameters.
     */
    public String fingerprint() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(config.toMetadata().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            for (Param p : parameters()) {
                md.update(p.name().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                float[] v = p.value().toArray();
                ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(v);
                md.update(b.array());
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * Writes the weights and metadata (format, configuration, decoder variance σ² (> 0, finite),
     * fingerprint and {@code extra}) to {@code file}, atomically.
     *
     * @throws IllegalArgumentException when σ² is not finite and positive or an extra key is the autoencoder's own
     */
    public void save(Path file, double decoderVariance, Map<String, String> extra) throws IOException {
        if (!(decoderVariance > 0) || Double.isInfinite(decoderVariance)) {
            throw new IllegalArgumentException("decoder variance is " + decoderVariance + "; it must be finite and > 0");
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("format_version", FORMAT_VERSION);
        meta.put("config", config.toString());
        meta.putAll(config.toMetadata());
        meta.put(DECODER_VARIANCE, Double.toString(decoderVariance));
        meta.put("autoencoder.fingerprint", fingerprint());
        for (Map.Entry<String, String> e : extra.entrySet()) {
            if (meta.putIfAbsent(e.getKey(), e.getValue()) != null) {
                throw new IllegalArgumentException("extra metadata key \"" + e.getKey() + "\" is the autoencoder's own");
            }
        }
        Safetensors.write(file, parameterEntries(""), meta);
    }

    /** The decoder variance σ² the file recorded (NaN for a fresh autoencoder). */
    public double decoderVariance() {
        String v = metadata.get(DECODER_VARIANCE);
        return v == null ? Double.NaN : Double.parseDouble(v);
    }

    /**
     * The autoencoder {@link #save} wrote to {@code file}, built on {@code ctx}; its weights are
     * checked (present, of the configuration's shape, finite) and must match the recorded fingerprint.
     *
     * @throws IOException naming the file and what is wrong with it
     */
    public static Autoencoder load(Context ctx, Path file) throws IOException {
        Objects.requireNonNull(ctx, "ctx");
        Safetensors.Contents c = Safetensors.read(file);
        Map<String, String> meta = c.metadata();
        if (!FORMAT.equals(meta.get("format")) || !FORMAT_VERSION.equals(meta.get("format_version"))) {
            throw new IOException(file + ": not an autoencoder (format " + meta.get("format") + ", version "
                    + meta.get("format_version") + "; expected " + FORMAT + " " + FORMAT_VERSION + ")");
        }
        AutoencoderConfig config;
        double variance;
        try {
            config = AutoencoderConfig.fromMetadata(meta);
            variance = Double.parseDouble(Objects.requireNonNull(meta.get(DECODER_VARIANCE), DECODER_VARIANCE));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IOException(file + ": " + (e instanceof NullPointerException ? "metadata lacks " : "") + e.getMessage(),
                    e);
        }
        if (!(variance > 0) || Double.isInfinite(variance)) {
            throw new IOException(file + ": " + DECODER_VARIANCE + " is " + variance + "; it must be finite and > 0");
        }
        Autoencoder ae = new Autoencoder(ctx, config, meta);
        try {
            ae.loadParameters(c.tensors(), "", file.toString());
            String recorded = meta.get("autoencoder.fingerprint");
            if (recorded != null && !recorded.equals(ae.fingerprint())) {
                throw new IOException(file + ": its weights do not match its recorded fingerprint (a damaged or edited file)");
            }
            return ae;
        } catch (IOException | RuntimeException e) {
            ae.close();
            throw e;
        }
    }
}
