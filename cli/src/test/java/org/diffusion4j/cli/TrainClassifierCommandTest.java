package org.diffusion4j.cli;

import static org.diffusion4j.cli.CommandLineTest.d4j;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.io.Safetensors;
import org.diffusion4j.nn.FeatureNet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code d4j train-classifier}: help, checked values (exit 2 naming option and value), never
 * overwriting --out, a folder without --test-data refused, and a real run on a folder of two
 * easily told classes (bright top half / bright bottom half) that learns them and writes a
 * network whose metadata records the classes, the data and the accuracy.
 */
class TrainClassifierCommandTest {
    @TempDir
    Path dir;

    /** 8×8 grey images: class "top" bright in rows 0..3, "bottom" in rows 4..7, plus noise. */
    static Path folder(Path root, int perClass, long seed) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        for (String c : new String[] {"bottom", "top"}) {
            Files.createDirectories(root.resolve(c));
            for (int i = 0; i < perClass; i++) {
                BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
                for (int y = 0; y < 8; y++) {
                    for (int x = 0; x < 8; x++) {
                        boolean bright = c.equals("top") == (y < 4);
                        int v = (bright ? 180 : 40) + r.nextInt(60);
                        img.getRaster().setSample(x, y, 0, v);
                    }
                }
                ImageIO.write(img, "png", root.resolve(c).resolve(i + ".png").toFile());
            }
        }
        return root;
    }

    @Test
    void helpAndBadValues() {
        CommandLineTest.Run help = d4j("train-classifier", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().startsWith("Usage: d4j train-classifier") && help.out().contains("--test-data=DIR")
                && help.out().contains("--epochs=N"), help.out());
        String[][] cases = {{"--epochs", "0"}, {"--batch", "0"}, {"--lr", "-1e-3"}, {"--weight-decay", "-1"},
            {"--warmup", "-1"}, {"--epochs", "x"}, {"--seed", "1.5"}};
        for (String[] c : cases) {
            CommandLineTest.Run r = d4j("train-classifier", c[0], c[1], "--out", dir.resolve("x.safetensors").toString());
            assertEquals(2, r.code(), String.join(" ", c));
            assertTrue(r.err().contains(c[0]) && r.err().contains(c[1]), "message names option and value: " + r.err());
        }
    }

    @Test
    void refusesToOverwriteAndNeedsTestDataForAFolder() throws IOException {
        Path out = dir.resolve("net.safetensors");
        Files.writeString(out, "keep");
        CommandLineTest.Run r = d4j("train-classifier", "--out", out.toString(), "--device", "cpu");
        assertEquals(1, r.code());
        assertTrue(r.err().contains(out + " exists; --force replaces it"), r.err());
        assertEquals("keep", Files.readString(out));
        Path images = folder(dir.resolve("train"), 2, 1);
        CommandLineTest.Run noTest = d4j("train-classifier", "--data", images.toString(), "--out",
                dir.resolve("other.safetensors").toString(), "--device", "cpu");
        assertEquals(2, noTest.code());
        assertTrue(noTest.err().contains("give the held-out images with --test-data"), noTest.err());
    }

    @Test
    void learnsTwoClassesOfAFolderAndRecordsIt() throws IOException {
        Path train = folder(dir.resolve("train"), 48, 2);
        Path test = folder(dir.resolve("test"), 16, 3);
        Path out = dir.resolve("nets").resolve("net.safetensors");
        CommandLineTest.Run r = d4j("train-classifier", "--data", train.toString(), "--test-data", test.toString(), "--out",
                out.toString(), "--epochs", "4", "--batch", "16", "--warmup", "5", "--lr", "3e-3", "--device", "cpu",
                "--quiet", "--seed", "4");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("epoch 4/4: train loss"), r.out());
        assertTrue(r.progressLines().isEmpty(), "--quiet prints no progress lines: " + r.progressLines());
        Safetensors.Contents c = Safetensors.read(out);
        double accuracy = Double.parseDouble(c.metadata().get("test_accuracy"));
        assertTrue(accuracy >= 0.9, "two easy classes, test accuracy " + accuracy);
        assertEquals("bottom\ntop", c.metadata().get("data.class_names"));
        assertTrue(c.metadata().get("data").contains("images (96) from " + train), c.metadata().get("data"));
        assertTrue(c.metadata().get("train_log").contains("epoch 4: train loss"), c.metadata().get("train_log"));
        try (Context ctx = Context.create(Device.cpu()); FeatureNet net = FeatureNet.load(ctx, out)) {
            assertEquals(8, net.config().imageSize());
            assertEquals(2, net.config().classes());
        }
    }
}
