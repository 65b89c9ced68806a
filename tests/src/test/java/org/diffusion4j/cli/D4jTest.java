package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class D4jTest {
    @TempDir
    Path dir;

    @Test
    void forwardWritesTheGrid() throws IOException {
        int code = D4j.run(new String[] {"forward", "--out", dir.toString(), "--device", "cpu", "--seed", "3"});
        assertEquals(0, code);
        Path png = dir.resolve("forward-process.png");
        assertTrue(Files.isRegularFile(png));
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(6 * (28 * 3 + 1) + 1, img.getWidth()); // x_0 + 5 timesteps
        assertEquals(10 * (28 * 3 + 1) + 1, img.getHeight()); // one row per class
    }

    /** A few training steps, a checkpoint, then a labelled sample grid from it. */
    @Test
    void trainThenSample() throws IOException {
        Path out = dir.resolve("run");
        assertEquals(0, D4j.run(new String[] {"train", "--steps", "3", "--batch", "4", "--out", out.toString(), "--device",
            "cpu", "--quiet"}));
        assertTrue(Files.isRegularFile(out.resolve("checkpoint.safetensors")));
        assertTrue(Files.readString(out.resolve("loss.csv")).startsWith("step,loss"));
        assertEquals(0, D4j.run(new String[] {"train", "--steps", "4", "--batch", "4", "--out", out.toString(), "--device",
            "cpu", "--quiet", "--resume"}));
        Path samples = dir.resolve("samples");
        assertEquals(0, D4j.run(new String[] {"sample", "--checkpoint", out.resolve("checkpoint.safetensors").toString(),
            "--out", samples.toString(), "--steps", "2", "--per-label", "2", "--labels", "0,9", "--device", "cpu",
            "--quiet"}));
        assertTrue(Files.isRegularFile(samples.resolve("sample-003-label-9-ankle-boot.png")));
        BufferedImage grid = ImageIO.read(samples.resolve("grid.png").toFile());
        assertEquals(2 * (28 * 2 + 1) + 1, grid.getWidth()); // 2 per label, scale 2
        assertEquals(2, D4j.run(new String[] {"sample", "--labels", "12", "--checkpoint",
            out.resolve("checkpoint.safetensors").toString()}));
        assertEquals(1, D4j.run(new String[] {"sample", "--checkpoint", dir.resolve("none.safetensors").toString()}));
    }

    @Test
    void badUsageExitsWith2() {
        assertEquals(2, D4j.run(new String[] {"forward", "--device", "gpu"}));
        assertEquals(2, D4j.run(new String[] {"forward", "--timesteps", "0,1000"}));
        assertEquals(2, D4j.run(new String[] {"nonsense"}));
        assertEquals(2, D4j.run(new String[0]));
    }

    @Test
    void missingDataOrDeviceExitsWith1() {
        assertEquals(1, D4j.run(new String[] {"forward", "--data", dir.resolve("none").toString(), "--out",
            dir.toString(), "--device", "cpu"}));
        assertEquals(1, D4j.run(new String[] {"forward", "--device", "cuda:9", "--out", dir.toString()}));
    }
}
