package org.diffusion4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.diffusion4j.Context;
import org.diffusion4j.latent.LatentSpace;
import org.diffusion4j.nn.Autoencoder;
import org.diffusion4j.train.Checkpoint;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** The autoencoder that decodes a latent checkpoint's samples in {@code d4j sample} and {@code d4j evaluate}. */
final class LatentDecoding {
    private LatentDecoding() {}

    /**
     * The checkpoint's autoencoder: {@code given} (--autoencoder), else the file the checkpoint
     * names, loaded on ctx and checked against the checkpoint's fingerprint; null for a
     * pixel-space checkpoint (which refuses --autoencoder).
     */
    static Autoencoder load(CommandSpec spec, Context ctx, Checkpoint c, Path given) throws IOException {
        LatentSpace space = c.latentSpace();
        if (space == null) {
            if (given != null) {
                throw new ParameterException(spec.commandLine(), "--autoencoder decodes a latent model's samples; this "
                        + "checkpoint is a pixel-space model");
            }
            return null;
        }
        Path file = given != null ? given : Path.of(space.autoencoderFile());
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "the autoencoder this latent model was trained on is not "
                    + "there; give it with --autoencoder FILE");
        }
        Autoencoder ae = Autoencoder.load(ctx, file);
        try {
            space.check(ae, "--autoencoder " + file);
            return ae;
        } catch (RuntimeException e) {
            ae.close();
            throw e;
        }
    }
}
