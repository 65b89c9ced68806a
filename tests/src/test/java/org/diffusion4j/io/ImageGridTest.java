package org.diffusion4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageGridTest {
    @TempDir
    Path dir;

    @Test
    void writesAGridWithGaps() throws IOException {
        float[] images = new float[5 * 4 * 3];
        images[0] = 1f; // image 0, top-left pixel white
        images[12] = -1f;
        Path png = dir.resolve("g.png");
        ImageGrid.writePng(png, images, 5, 4, 3, 1, 3, 2);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(3 * (3 * 2 + 1) + 1, img.getWidth());
        assertEquals(2 * (4 * 2 + 1) + 1, img.getHeight());
        assertEquals(0xffffff, img.getRGB(1, 1) & 0xffffff);
        assertEquals(0x808080, img.getRGB(3, 1) & 0xffffff); // 0 maps to mid grey
        assertEquals(0x000000, img.getRGB(1 + 3 * 2 + 1, 1) & 0xffffff);
    }

    @Test
    void rejectsInconsistentSizes() {
        assertThrows(IllegalArgumentException.class,
                () -> ImageGrid.writePng(dir.resolve("x.png"), new float[10], 1, 2, 2, 1, 1, 1));
        assertThrows(IllegalArgumentException.class,
                () -> ImageGrid.writePng(dir.resolve("x.png"), new float[8], 1, 2, 2, 2, 1, 1));
    }
}
