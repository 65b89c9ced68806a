package org.diffusion4j.data;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads IDX files (the MNIST format: big-endian magic {@code 0x0000 08 NN}, type 0x08 = unsigned
 * byte, NN dimensions, then NN big-endian int32 extents, then the data), gzip-compressed or
 * plain. Malformed input raises an {@link IOException} that names the file and what is wrong.
 */
public final class IdxReader {
    /** The extents and the raw unsigned bytes of one IDX file. */
    public record Idx(int[] dims, byte[] data) {}

    private static final int TYPE_UNSIGNED_BYTE = 0x08;
    private static final int MAX_DIMS = 4;

    private IdxReader() {}

    /**
     * Reads an IDX file with {@code expectedDims} dimensions.
     *
     * @throws NoSuchFileException when {@code file} does not exist
     * @throws IOException when it is not gzip/IDX, has the wrong type or rank, or is truncated
     */
    public static Idx read(Path file, int expectedDims) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such file");
        }
        try (InputStream raw = Files.newInputStream(file);
                DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(open(raw, file), 1 << 16))) {
            int magic;
            try {
                magic = in.readInt();
            } catch (EOFException e) {
                throw new IOException(file + ": empty or truncated before the IDX magic number");
            }
            int type = (magic >>> 8) & 0xff;
            int rank = magic & 0xff;
            if ((magic >>> 16) != 0 || type != TYPE_UNSIGNED_BYTE) {
                throw new IOException(String.format("%s: magic number 0x%08x is not an unsigned-byte IDX file "
                        + "(expected 0x000008%02x)", file, magic, expectedDims));
            }
            if (rank != expectedDims || rank > MAX_DIMS) {
                throw new IOException(file + ": IDX file has " + rank + " dimensions, expected " + expectedDims);
            }
            int[] dims = new int[rank];
            long total = 1;
            for (int i = 0; i < rank; i++) {
                dims[i] = in.readInt();
                if (dims[i] < 1) {
                    throw new IOException(file + ": dimension " + i + " is " + dims[i] + "; must be >= 1");
                }
                total *= dims[i];
                if (total > Integer.MAX_VALUE - 8) {
                    throw new IOException(file + ": " + total + "+ elements is too large for one array");
                }
            }
            byte[] data = new byte[(int) total];
            int read = in.readNBytes(data, 0, data.length);
            if (read != data.length) {
                throw new IOException(file + ": truncated: " + read + " of " + data.length + " data bytes present");
            }
            return new Idx(dims, data);
        } catch (java.util.zip.ZipException e) {
            throw new IOException(file + ": corrupt gzip data (" + e.getMessage() + ")", e);
        } catch (EOFException e) {
            throw new IOException(file + ": truncated inside the IDX header", e);
        }
    }

    /** Gzip when the file starts with the gzip magic 1f 8b, plain IDX otherwise. */
    private static InputStream open(InputStream raw, Path file) throws IOException {
        java.io.BufferedInputStream b = new java.io.BufferedInputStream(raw);
        b.mark(2);
        int b0 = b.read();
        int b1 = b.read();
        b.reset();
        return (b0 == 0x1f && b1 == 0x8b) ? new GZIPInputStream(b, 1 << 16) : b;
    }
}
