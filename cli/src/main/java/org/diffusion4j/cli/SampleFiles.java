package org.diffusion4j.cli;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * What {@code d4j sample} writes for other tools to read: each image as a PNG at its own size
 * (8-bit grey for one channel, RGB for three; [-1, 1] maps to 0..255, clipped) and
 * {@code labels.csv} (file, label, class; RFC 4180 quoting). Files are written atomically.
 */
final class SampleFiles {
    private SampleFiles() {}

    /** One row of labels.csv; label and class name are null for an unconditional model. */
    record Row(String file, Integer label, String className) {}

    /** Image {@code index} of {@code images} (count × height × width × channels, NHWC) as a PNG. */
    static void writePng(Path file, float[] images, int index, int height, int width, int channels) throws IOException {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels is " + channels + "; PNG images take 1 or 3");
        }
        BufferedImage img = new BufferedImage(width, height, channels == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        int base = index * height * width * channels;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int p = base + (y * width + x) * channels;
                if (channels == 1) {
                    img.getRaster().setSample(x, y, 0, toByte(images[p]));
                } else {
                    img.setRGB(x, y, (toByte(images[p]) << 16) | (toByte(images[p + 1]) << 8) | toByte(images[p + 2]));
                }
            }
        }
        atomically(file, tmp -> {
            if (!ImageIO.write(img, "png", tmp.toFile())) {
                throw new IOException("no PNG writer available");
            }
        });
    }

    /** labels.csv: a header, then one row per image. */
    static void writeLabels(Path file, List<Row> rows) throws IOException {
        StringBuilder csv = new StringBuilder("file,label,class\n");
        for (Row r : rows) {
            csv.append(quote(r.file())).append(',').append(r.label() == null ? "" : r.label()).append(',')
                    .append(r.className() == null ? "" : quote(r.className())).append('\n');
        }
        atomically(file, tmp -> Files.writeString(tmp, csv, StandardCharsets.UTF_8));
    }

    /** A CSV field, quoted when it holds a comma, a quote or a line break. */
    static String quote(String field) {
        return field.matches("(?s).*[,\"\r\n].*") ? '"' + field.replace("\"", "\"\"") + '"' : field;
    }

    private interface Writer {
        void write(Path tmp) throws IOException;
    }

    /** Writes a temporary file beside {@code file}, then renames it over {@code file}: readers never see half a file. */
    private static void atomically(Path file, Writer writer) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
        try {
            writer.write(tmp);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The same mapping as the grid's (io.ImageGrid), so a grid cell and its file agree. */
    private static int toByte(float v) {
        float c = Math.max(-1f, Math.min(1f, Float.isNaN(v) ? 0f : v));
        return Math.round((c + 1f) * 127.5f);
    }
}
