package org.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FashionMnistTest {
    @TempDir
    Path dir;

    @Test
    void loadsTheRealDataSet() throws IOException {
        FashionMnist train = FashionMnist.load(FashionMnist.Split.TRAIN);
        FashionMnist test = FashionMnist.load(FashionMnist.Split.TEST);
        assertEquals(60000, train.size());
        assertEquals(10000, test.size());
        assertEquals(28, train.rows());
        assertEquals(28, train.cols());
        int[] perClass = new int[10];
        for (int i = 0; i < train.size(); i++) {
            perClass[train.label(i)]++;
        }
        for (int c = 0; c < 10; c++) {
            assertEquals(6000, perClass[c], "class " + c); // Fashion-MNIST is balanced
        }
        float[] img = train.image(0);
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (float v : img) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertEquals(-1f, min); // background
        assertTrue(max > 0.5f && max <= 1f, "max " + max);
        try (Context ctx = Context.create(Device.cpu()); Tensor b = test.batch(ctx, new int[] {0, 5, 9})) {
            assertArrayEquals(new int[] {3, 28, 28, 1}, b.shape());
            float[] flat = b.toArray();
            float[] fifth = test.image(5);
            for (int i = 0; i < 784; i++) {
                assertEquals(fifth[i], flat[784 + i]);
            }
        }
    }

    private static byte[] idx(int rank, int[] dims, int dataBytes, int magicType) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt((magicType << 8) | rank);
        for (int d : dims) {
            out.writeInt(d);
        }
        for (int i = 0; i < dataBytes; i++) {
            out.writeByte(i % 10);
        }
        return bytes.toByteArray();
    }

    private void write(String name, byte[] content, boolean gzip) throws IOException {
        try (OutputStream raw = Files.newOutputStream(dir.resolve(name + (gzip ? ".gz" : "")));
                OutputStream out = gzip ? new GZIPOutputStream(raw) : raw) {
            out.write(content);
        }
    }

    @Test
    void readsPlainAndGzipFiles() throws IOException {
        write("t10k-images-idx3-ubyte", idx(3, new int[] {4, 2, 3}, 24, 8), true);
        write("t10k-labels-idx1-ubyte", idx(1, new int[] {4}, 4, 8), false);
        FashionMnist small = FashionMnist.load(dir, FashionMnist.Split.TEST);
        assertEquals(4, small.size());
        assertEquals(3, small.label(3));
        assertEquals(2, small.rows());
    }

    @Test
    void missingFilesSayWhatToInstall() {
        NoSuchFileException e = assertThrows(NoSuchFileException.class,
                () -> FashionMnist.load(dir.resolve("nowhere"), FashionMnist.Split.TRAIN));
        assertTrue(e.getFile().endsWith("train-images-idx3-ubyte.gz"), e.getFile());
        assertTrue(e.getReason().contains("dataset-fashion-mnist"), e.getReason());
    }

    @Test
    void malformedFilesAreNamed() throws IOException {
        write("t10k-labels-idx1-ubyte", idx(1, new int[] {4}, 4, 8), true);
        write("t10k-images-idx3-ubyte", idx(3, new int[] {4, 2, 3}, 24, 0x0d), true); // float type
        IOException type = assertThrows(IOException.class, () -> FashionMnist.load(dir, FashionMnist.Split.TEST));
        assertTrue(type.getMessage().contains("magic number 0x00000d03"), type.getMessage());

        write("t10k-images-idx3-ubyte", idx(3, new int[] {4, 2, 3}, 20, 8), true); // 4 bytes short
        IOException cut = assertThrows(IOException.class, () -> FashionMnist.load(dir, FashionMnist.Split.TEST));
        assertTrue(cut.getMessage().contains("truncated: 20 of 24"), cut.getMessage());

        write("t10k-images-idx3-ubyte", idx(3, new int[] {5, 2, 3}, 30, 8), true); // 5 images, 4 labels
        IOException mismatch = assertThrows(IOException.class, () -> FashionMnist.load(dir, FashionMnist.Split.TEST));
        assertTrue(mismatch.getMessage().contains("5 images but"), mismatch.getMessage());

        write("t10k-images-idx3-ubyte", idx(2, new int[] {4, 6}, 24, 8), true); // wrong rank
        IOException rank = assertThrows(IOException.class, () -> FashionMnist.load(dir, FashionMnist.Split.TEST));
        assertTrue(rank.getMessage().contains("2 dimensions, expected 3"), rank.getMessage());

        write("t10k-images-idx3-ubyte", new byte[] {0x1f, (byte) 0x8b, 1, 2, 3}, false); // broken gzip
        assertThrows(IOException.class, () -> FashionMnist.load(dir, FashionMnist.Split.TEST));

        write("t10k-images-idx3-ubyte", idx(3, new int[] {4, 2, 3}, 24, 8), true);
        write("t10k-labels-idx1-ubyte", idx(1, new int[] {4}, 0, 8), true); // header only
        byte[] bad = idx(1, new int[] {4}, 4, 8);
        bad[bad.length - 1] = 12; // label 12 does not exist
        write("t10k-labels-idx1-ubyte", bad, true);
        IOException label = assertThrows(IOException.class, () -> FashionMnist.load(dir, FashionMnist.Split.TEST));
        assertTrue(label.getMessage().contains("label 3 is 12"), label.getMessage());
    }
}
