package org.diffusion4j.io;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Objects;
import javax.imageio.ImageIO;

/**
 * Writes images in [-1, 1] (NHWC, 1 or 3 channels) as one PNG grid, row by row, with a
 * one-pixel gap. Values outside [-1, 1] are clipped. The file is written atomically.
 */
public final class ImageGrid {
    private ImageGrid() {}

    /**
     * @param images {@code count × height × width × channels} floats in [-1, 1]
     * @param columns images per grid row
     * @param scale pixel magnification (1 = native size)
     */
    public static void writePng(Path file, float[] images, int count, int height, int width, int channels,
            int columns, int scale) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(images, "images");
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels is " + channels + "; PNG grids take 1 or 3");
        }
        if (count < 1 || height < 1 || width < 1 || columns < 1 || scale < 1) {
            throw new IllegalArgumentException("count, height, width, columns and scale must be >= 1");
        }
        if ((long) count * height * width * channels != images.length) {
            throw new IllegalArgumentException("images has " + images.length + " floats, not " + count + "×" + height
                    + "×" + width + "×" + channels);
        }
        int rowsOfImages = (count + columns - 1) / columns;
        int cell = 1;
        int gw = columns * (width * scale + cell) + cell;
        int gh = rowsOfImages * (height * scale + cell) + cell;
        BufferedImage img = new BufferedImage(gw, gh, BufferedImage.TYPE_INT_RGB);
        for (int k = 0; k < count; k++) {
            int ox = cell + (k % columns) * (width * scale + cell);
            int oy = cell + (k / columns) * (height * scale + cell);
            for (int y = 0; y < height * scale; y++) {
                for (int x = 0; x < width * scale; x++) {
                    int base = ((k * height + y / scale) * width + x / scale) * channels;
                    int r = toByte(images[base]);
                    int g = channels == 3 ? toByte(images[base + 1]) : r;
                    int b = channels == 3 ? toByte(images[base + 2]) : r;
                    img.setRGB(ox + x, oy + y, (r << 16) | (g << 8) | b);
                }
            }
        }
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
        try {
            if (!ImageIO.write(img, "png", tmp.toFile())) {
                throw new IOException("no PNG writer available");
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static int toByte(float v) {
        float c = Math.max(-1f, Math.min(1f, Float.isNaN(v) ? 0f : v));
        return Math.round((c + 1f) * 127.5f);
    }
}
