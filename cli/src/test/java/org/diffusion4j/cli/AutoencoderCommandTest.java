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

        // latent diffusion on its latents: train, sample (decoded to 28×28), evaluate; another autoencoder is refused
        Path run = dir.resolve("latent-run");
        String[] latentTrain = {"train", "--latent", ae.toString(), "--data", data.toString(), "--steps", "2", "--batch",
            "4", "--base", "8", "--out", run.toString(), "--device", "cpu", "--quiet"};
        assertEquals(0, D4j.run(latentTrain));
        Path ckpt = run.resolve("checkpoint.safetensors");
        org.diffusion4j.train.Checkpoint c = org.diffusion4j.train.Checkpoint.read(ckpt);
        assertEquals(7, c.config().imageSize(), "the U-Net works on the 7×7 latents");
        assertEquals(4, c.config().channels());
        assertTrue(c.latentSpace() != null && c.latentSpace().scaleFactor() > 0);
        Path samples = dir.resolve("latent-samples");
        assertEquals(0, D4j.run(new String[] {"sample", "--checkpoint", ckpt.toString(), "--steps", "2", "--per-label", "1",
            "--labels", "0,1", "--out", samples.toString(), "--device", "cpu", "--quiet"}));
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(samples.resolve("sample-000-label-0-class0.png").toFile());
        assertEquals(28, img.getWidth(), "decoded to the autoencoder's image size");
        Path latentEval = dir.resolve("latent-eval");
        assertEquals(0, D4j.run(new String[] {"evaluate", "--checkpoint", ckpt.toString(), "--data", data.toString(),
            "--test-data", data.toString(), "--n", "8", "--steps", "2", "--out", latentEval.toString(), "--device", "cpu",
            "--quiet"}));
        assertTrue(Files.readAllLines(latentEval.resolve("results.csv")).get(1).startsWith("\"latent DDIM S=2"));
        Path other = dir.resolve("other.safetensors");
        assertEquals(0, D4j.run(new String[] {"train-autoencoder", "--data", data.toString(), "--test-data", data.toString(),
            "--epochs", "1", "--batch", "4", "--base", "8", "--seed", "1", "--out", other.toString(), "--device", "cpu",
            "--quiet"}));
        assertEquals(2, D4j.run(new String[] {"sample", "--checkpoint", ckpt.toString(), "--autoencoder", other.toString(),
            "--steps", "2", "--out", dir.resolve("refused").toString(), "--device", "cpu", "--quiet"}),
                "an autoencoder with other weights is refused");
        assertTrue(!Files.exists(dir.resolve("refused").resolve("labels.csv")), "and nothing is written");
        String[] resume = {"train", "--data", data.toString(), "--steps", "3", "--batch", "4", "--out", run.toString(),
            "--device", "cpu", "--quiet", "--resume"};
        assertEquals(2, D4j.run(resume), "resuming a latent model without --latent");
        String[] wrongResume = {"train", "--latent", other.toString(), "--data", data.toString(), "--steps", "3", "--batch",
            "4", "--out", run.toString(), "--device", "cpu", "--quiet", "--resume"};
        assertEquals(2, D4j.run(wrongResume), "resuming on another autoencoder's latents");
        String[] rightResume = {"train", "--latent", ae.toString(), "--data", data.toString(), "--steps", "3", "--batch",
            "4", "--out", run.toString(), "--device", "cpu", "--quiet", "--resume"};
        assertEquals(0, D4j.run(rightResume));
        assertEquals(3, org.diffusion4j.train.Checkpoint.read(ckpt).step());
        assertEquals(2, D4j.run(new String[] {"evaluate", "--autoencoder", ae.toString(), "--ddim-table", "--out",
            eval.toString()}));
    }
}
