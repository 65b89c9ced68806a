package org.diffusion4j.data;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;

/**
 * Fashion-MNIST (Xiao et al. 2017): 60,000 training and 10,000 test images, 28×28 grey, ten
 * classes. Read from the four gzip IDX files that Debian's {@code dataset-fashion-mnist} package
 * installs in {@link #DEFAULT_DIR}; nothing is downloaded.
 */
public final class FashionMnist implements ImageDataset {
    /** Where Debian's {@code dataset-fashion-mnist} puts the files. */
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    /** The class names, by label. */
    public static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** Which half of the data set. */
    public enum Split {
        TRAIN("train"),
        TEST("t10k");

        final String prefix;

        Split(String prefix) {
            this.prefix = prefix;
        }
    }

    private final byte[] pixels; // count × 28 × 28, row-major, 0 = background
    private final byte[] labels;
    private final int count;
    private final int rows;
    private final int cols;

    private FashionMnist(byte[] pixels, byte[] labels, int count, int rows, int cols) {
        this.pixels = pixels;
        this.labels = labels;
        this.count = count;
        this.rows = rows;
        this.cols = cols;
    }

    /** Loads {@code split} from {@link #DEFAULT_DIR}. */
    public static FashionMnist load(Split split) throws IOException {
        return load(DEFAULT_DIR, split);
    }

    /**
     * Loads {@code split} from {@code dir}, which holds {@code train-images-idx3-ubyte.gz},
     * {@code train-labels-idx1-ubyte.gz}, {@code t10k-images-idx3-ubyte.gz} and
     * {@code t10k-labels-idx1-ubyte.gz} (or the same names without {@code .gz}).
     *
     * @throws NoSuchFileException naming the missing file and how to get it
     * @throws IOException when a file is malformed or images and labels disagree
     */
    public static FashionMnist load(Path dir, Split split) throws IOException {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(split, "split");
        Path images = find(dir, split.prefix + "-images-idx3-ubyte");
        Path labelFile = find(dir, split.prefix + "-labels-idx1-ubyte");
        IdxReader.Idx img = IdxReader.read(images, 3);
        IdxReader.Idx lab = IdxReader.read(labelFile, 1);
        if (img.dims()[0] != lab.dims()[0]) {
            throw new IOException(images + " holds " + img.dims()[0] + " images but " + labelFile + " holds "
                    + lab.dims()[0] + " labels");
        }
        for (int i = 0; i < lab.data().length; i++) {
            int label = lab.data()[i] & 0xff;
            if (label >= CLASSES.size()) {
                throw new IOException(labelFile + ": label " + i + " is " + label + "; Fashion-MNIST labels are 0..9");
            }
        }
        return new FashionMnist(img.data(), lab.data(), img.dims()[0], img.dims()[1], img.dims()[2]);
    }

    private static Path find(Path dir, String base) throws NoSuchFileException {
        Path gz = dir.resolve(base + ".gz");
        if (gz.toFile().isFile()) {
            return gz;
        }
        Path plain = dir.resolve(base);
        if (plain.toFile().isFile()) {
            return plain;
        }
        throw new NoSuchFileException(gz.toString(), null, "Fashion-MNIST file missing; install Debian's "
                + "dataset-fashion-mnist package (apt-get install dataset-fashion-mnist) or pass a directory "
                + "holding the four IDX files");
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public int height() {
        return rows;
    }

    @Override
    public int width() {
        return cols;
    }

    @Override
    public int channels() {
        return 1;
    }

    @Override
    public List<String> classNames() {
        return CLASSES;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    @Override
    public int label(int index) {
        return labels[Objects.checkIndex(index, count)] & 0xff;
    }

    /** Image {@code index} as floats in [-1, 1] (pixel/127.5 − 1), row-major. */
    @Override
    public float[] image(int index) {
        Objects.checkIndex(index, count);
        int n = rows * cols;
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (pixels[index * n + i] & 0xff) / 127.5f - 1f;
        }
        return out;
    }

    /** The images at {@code indices} as an NHWC tensor (N, 28, 28, 1) scaled to [-1, 1]. */
    public Tensor batch(Context ctx, int[] indices) {
        Objects.requireNonNull(indices, "indices");
        if (indices.length == 0) {
            throw new IllegalArgumentException("indices is empty");
        }
        int n = rows * cols;
        float[] data = new float[indices.length * n];
        for (int b = 0; b < indices.length; b++) {
            System.arraycopy(image(indices[b]), 0, data, b * n, n);
        }
        return Tensor.of(ctx, data, indices.length, rows, cols, 1);
    }
}
