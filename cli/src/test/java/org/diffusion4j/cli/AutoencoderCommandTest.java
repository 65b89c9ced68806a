package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.nn.Autoencoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code d4j train-autoencoder} on a folder of 28×28 grey images (ten classes, so the shipped
 * feature network scores them) writes an autoencoder that loads with its decoder variance;
 * {@code d4j evaluate --autoencoder} scores its reconstructions and VAE samples and prints its
 * bound; it refuses to overwrite, and bad options are usage errors.
 */
class AutoencoderCommandTest {
    @TempDir
    Path dir;

    @Test
    void trainsAndEvaluates() throws IOException {
        Path data = dir.resolve("data");
        for (int c = 0; c < 10; c++) {
            for (int i = 0; i < 2; i++) {
                D4jTest.writeImage(data.resolve("class" + c + "/" + i + ".png"), 28, 28, 13 * c + 5 * i, false);
            }
        }
        Path ae = dir.resolve("ae.safetensors");
        String[] train = {"train-autoencoder", "--data", data.toString(), "--test-data", data.toString(), "--epochs", "1",
            "--batch", "4", "--base", "8", "--out", ae.toString(), "--device", "cpu", "--quiet"};
        assertEquals(0, D4j.run(train));
        try (Context ctx = Context.create(Device.cpu()); Autoencoder a = Autoencoder.load(ctx, ae)) {
            assertEquals(7, a.config().latentSize());
            assertTrue(a.decoderVariance() > 0);
        }
        long size = Files.size(ae);
        assertEquals(1, D4j.run(train), "an existing autoencoder is not overwritten");
        assertEquals(size, Files.size(ae));
        Path eval = dir.resolve("eval");
        assertEquals(0, D4j.run(new String[] {"evaluate", "--autoencoder", ae.toString(), "--data", data.toString(),
            "--test-data", data.toString(), "--n", "8", "--bpd", "--bpd-images", "6", "--out", eval.toString(), "--device",
            "cpu", "--quiet"}));
        List<String> csv = Files.readAllLines(eval.resolve("results.csv"));
        assertEquals(3, csv.size(), String.join("\n", csv));
        assertTrue(csv.get(1).startsWith("\"autoencoder reconstructions of 8 test images\",8,"), csv.get(1));
        assertTrue(csv.get(2).startsWith("\"VAE samples (z ~ N(0, I), decoded)\",8,"), csv.get(2));
        String md = Files.readString(eval.resolve("results.md"));
        assertTrue(md.contains("bits/dim over 6 test images"), md);
        assertEquals(2, D4j.run(new String[] {"train-autoencoder", "--beta", "-1", "--out", dir.resolve("x").toString()}));
        assertEquals(2, D4j.run(new String[] {"evaluate", "--autoencoder", ae.toString(), "--ddim-table", "--out",
            eval.toString()}));
    }
}
