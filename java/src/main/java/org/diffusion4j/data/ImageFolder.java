package org.diffusion4j.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * A user's own images from a folder: either one subfolder per class (the class names are the
 * subfolder names, sorted) or the images directly in the folder (no classes: an unconditional
 * model). PNG, JPEG, BMP and GIF files are read; every image must have the same height and width.
 * The data set is grey (1 channel) when every image is grey, else RGB (3 channels); alpha is
 * dropped. Pixels are scaled to [-1, 1] as pixel/127.5 − 1.
 */
public final class ImageFolder implements ImageDataset {
    private static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg", ".bmp", ".gif");

    private final byte[] pixels; // count × height × width × channels
    private final int[] labels;
    private final List<String> classNames;
    private final int count;
    private final int height;
    private final int width;
    private final int channels;

    private ImageFolder(byte[] pixels, int[] labels, List<String> classNames, int height, int width, int channels) {
        this.pixels = pixels;
        this.labels = labels;
        this.classNames = List.copyOf(classNames);
        this.count = labels.length;
        this.height = height;
        this.width = width;
        this.channels = channels;
    }

    /**
     * Reads every image under {@code dir} (one level of class subfolders, or none).
     *
     * @throws IOException naming the file when the folder holds no images, mixes loose images with
     *     class subfolders, or an image cannot be read or has another size than the first
     */
    public static ImageFolder load(Path dir) throws IOException {
        Objects.requireNonNull(dir, "dir");
        if (!Files.exists(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no such folder of images");
        }
        if (!Files.isDirectory(dir)) {
            throw new NotDirectoryException(dir.toString());
        }
        List<Path> loose = imagesIn(dir);
        List<Path> classDirs = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(Files::isDirectory).sorted().toList()) {
                if (!imagesIn(p).isEmpty()) {
                    classDirs.add(p);
                }
            }
        }
        if (!classDirs.isEmpty() && !loose.isEmpty()) {
            throw new IOException(dir + " holds class subfolders and also loose images such as " + loose.get(0)
                    + "; put every image in its class's subfolder, or use no subfolders for unlabelled data");
        }
        List<Path> files = new ArrayList<>();
        List<Integer> labelList = new ArrayList<>();
        List<String> names = new ArrayList<>();
        if (classDirs.isEmpty()) {
            files.addAll(loose);
            loose.forEach(f -> labelList.add(-1));
        } else {
            for (Path c : classDirs) {
                names.add(c.getFileName().toString());
                for (Path f : imagesIn(c)) {
                    files.add(f);
                    labelList.add(names.size() - 1);
                }
            }
        }
        if (files.isEmpty()) {
            throw new IOException(dir + " holds no images (" + String.join(", ", EXTENSIONS) + "), directly or in class subfolders");
        }
        List<BufferedImage> images = new ArrayList<>(files.size());
        boolean grey = true;
        for (Path f : files) {
            BufferedImage img;
            try {
                img = ImageIO.read(f.toFile());
            } catch (IOException e) {
                throw new IOException(f + ": cannot be read as an image: " + e.getMessage(), e);
            }
            if (img == null) {
                throw new IOException(f + ": not an image format this JVM can read");
            }
            BufferedImage first = images.isEmpty() ? img : images.get(0);
            if (img.getHeight() != first.getHeight() || img.getWidth() != first.getWidth()) {
                throw new IOException(f + " is " + img.getWidth() + "×" + img.getHeight() + " but " + files.get(0) + " is "
                        + first.getWidth() + "×" + first.getHeight() + "; every image must have the same size");
            }
            grey &= img.getColorModel().getNumColorComponents() == 1;
            images.add(img);
        }
        int h = images.get(0).getHeight();
        int w = images.get(0).getWidth();
        int c = grey ? 1 : 3;
        byte[] px = new byte[Math.multiplyExact(Math.multiplyExact(images.size(), h * w), c)];
        int k = 0;
        for (BufferedImage img : images) {
            // grey samples come straight from the raster: getRGB would map a linear grey colour
            // space through sRGB and brighten every pixel
            int maxSample = grey ? (1 << img.getColorModel().getComponentSize(0)) - 1 : 255;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    if (grey) {
                        px[k++] = (byte) Math.round(img.getRaster().getSample(x, y, 0) * 255.0 / maxSample);
                    } else {
                        int rgb = img.getRGB(x, y);
                        px[k++] = (byte) (rgb >> 16);
                        px[k++] = (byte) (rgb >> 8);
                        px[k++] = (byte) rgb;
                    }
                }
            }
        }
        return new ImageFolder(px, labelList.stream().mapToInt(Integer::intValue).toArray(), names, h, w, c);
    }

    private static List<Path> imagesIn(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).filter(p -> {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                return EXTENSIONS.stream().anyMatch(n::endsWith);
            }).sorted().toList();
        }
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public int height() {
        return height;
    }

    @Override
    public int width() {
        return width;
    }

    @Override
    public int channels() {
        return channels;
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public int label(int index) {
        return labels[Objects.checkIndex(index, count)];
    }

    @Override
    public float[] image(int index) {
        Objects.checkIndex(index, count);
        int n = height * width * channels;
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (pixels[index * n + i] & 0xff) / 127.5f - 1f;
        }
        return out;
    }
}
