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
