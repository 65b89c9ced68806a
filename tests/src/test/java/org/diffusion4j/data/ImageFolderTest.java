package org.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class ImageFolderTest {
    @TempDir
    Path dir;

    /** Writes a w×h image whose pixel (x, y) has grey value (seed + 7x + 13y) mod 256, or RGB channels offset by 1 and 2. */
    public static void write(Path file, int w, int h, int seed, boolean rgb) throws IOException {
        BufferedImage img = new BufferedImage(w, h, rgb ? BufferedImage.TYPE_INT_RGB : BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int v = (seed + 7 * x + 13 * y) & 0xff;
                if (rgb) {
                    img.setRGB(x, y, (v << 16) | (((v + 1) & 0xff) << 8) | ((v + 2) & 0xff));
                } else {
                    img.getRaster().setSample(x, y, 0, v);
                }
            }
        }
        Files.createDirectories(file.getParent());
        ImageIO.write(img, "png", file.toFile());
    }

    @Test
    void classSubfoldersGiveSortedLabelsAndExactGreyPixels() throws IOException {
        write(dir.resolve("zebra/a.png"), 4, 4, 5, false);
        write(dir.resolve("apple/b.png"), 4, 4, 9, false);
        write(dir.resolve("apple/c.png"), 4, 4, 200, false);
        Files.writeString(dir.resolve("apple/notes.txt"), "not an image");
        ImageFolder f = ImageFolder.load(dir);
        assertEquals(List.of("apple", "zebra"), f.classNames());
        assertEquals(3, f.size());
        assertEquals(1, f.channels());
        assertEquals(0, f.label(0));
        assertEquals(0, f.label(1));
        assertEquals(1, f.label(2));
        float[] img = f.image(1); // apple/c.png
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                assertEquals(((200 + 7 * x + 13 * y) & 0xff) / 127.5f - 1f, img[y * 4 + x], "pixel " + x + "," + y);
            }
        }
    }

    @Test
    void looseRgbImagesAreUnlabelled() throws IOException {
        write(dir.resolve("one.png"), 2, 2, 0, true);
        write(dir.resolve("two.png"), 2, 2, 100, true);
        ImageFolder f = ImageFolder.load(dir);
        assertTrue(f.classNames().isEmpty());
        assertEquals(3, f.channels());
        assertEquals(-1, f.label(1));
        assertArrayEquals(new float[] {100 / 127.5f - 1f, 101 / 127.5f - 1f, 102 / 127.5f - 1f},
                java.util.Arrays.copyOf(f.image(1), 3));
    }

    @Test
    void badFoldersNameTheProblem() throws IOException {
        assertThrows(NoSuchFileException.class, () -> ImageFolder.load(dir.resolve("missing")));
        IOException empty = assertThrows(IOException.class, () -> ImageFolder.load(dir));
        assertTrue(empty.getMessage().contains("no images"), empty.getMessage());
        write(dir.resolve("a/x.png"), 4, 4, 0, false);
        write(dir.resolve("a/y.png"), 4, 5, 0, false);
        IOException size = assertThrows(IOException.class, () -> ImageFolder.load(dir));
        assertTrue(size.getMessage().contains("y.png") && size.getMessage().contains("4×5"), size.getMessage());
        Files.delete(dir.resolve("a/y.png"));
        write(dir.resolve("loose.png"), 4, 4, 0, false);
        IOException mixed = assertThrows(IOException.class, () -> ImageFolder.load(dir));
        assertTrue(mixed.getMessage().contains("loose.png"), mixed.getMessage());
        Files.delete(dir.resolve("loose.png"));
        Files.writeString(dir.resolve("a/broken.png"), "not a png");
        IOException broken = assertThrows(IOException.class, () -> ImageFolder.load(dir));
        assertTrue(broken.getMessage().contains("broken.png"), broken.getMessage());
    }
}
