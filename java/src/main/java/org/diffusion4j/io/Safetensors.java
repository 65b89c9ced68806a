package org.diffusion4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Reads and writes the safetensors format (an 8-byte little-endian header length, a JSON header
 * {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__":
 * {string: string}}, then the raw little-endian data), float32 tensors only. Writes are atomic: a
 * partial file {@code <name>.<16 hex digits>.partial} in the same directory is written (locked
 * by its writer), forced to disk and renamed over the target, then the directory is forced, so
 * an interrupted save leaves the previous file intact; the next save of that target deletes the
 * partial files no live writer holds. The saved file has the mode of any new file (0644 under
 * umask 022). Reads validate everything and name the problem: a truncated or corrupted file is an
 * IOException, never a wrong tensor.
 */
public final class Safetensors {
    /** One float32 tensor: its shape and row-major data. */
    public record Entry(long[] shape, float[] data) {
        public Entry {
            Objects.requireNonNull(shape, "shape");
            Objects.requireNonNull(data, "data");
            boolean empty = Arrays.stream(shape).anyMatch(d -> d == 0); // no elements, however large the other extents
            long n = empty ? 0 : 1;
            for (long d : shape) {
                if (d < 0) {
                    throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has a negative dimension");
                }
                if (!empty && n > Long.MAX_VALUE / d) { // the product would wrap (to 0 for [4, 2^62])
                    throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds more than 2^63 values");
                }
                n = empty ? 0 : n * d;
            }
            if (n != data.length) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n + " values, data has "
                        + data.length);
            }
        }
    }

    /** What a file holds: tensors by name (in file order) and the string metadata. */
    public record Contents(Map<String, Entry> tensors, Map<String, String> metadata) {}

    /** The longest JSON header read (the format's reference reader allows 100 MB). */
    private static final long MAX_HEADER = 100L << 20;
    /** The most floats one tensor may hold: the longest Java array. */
    private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    /** Partial files being written by this JVM (the lock of one is invisible to another channel of the same JVM). */
    private static final Set<Path> WRITING = ConcurrentHashMap.newKeySet();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String PARTIAL = ".partial";

    private Safetensors() {}

    /** Writes {@code tensors} and {@code metadata} to {@code file} atomically. */
    public static void write(Path file, Map<String, Entry> tensors, Map<String, String> metadata) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(tensors, "tensors");
        Map<String, String> meta = metadata == null ? Map.of() : metadata;
        StringBuilder h = new StringBuilder("{");
        if (!meta.isEmpty()) {
            h.append("\"__metadata__\":{");
            int k = 0;
            for (Map.Entry<String, String> e : meta.entrySet()) {
                h.append(k++ > 0 ? "," : "").append(Json.quote(e.getKey())).append(':').append(Json.quote(e.getValue()));
            }
            h.append('}');
        }
        long offset = 0;
        for (Map.Entry<String, Entry> e : tensors.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                throw new IllegalArgumentException("\"__metadata__\" is reserved and cannot name a tensor");
            }
            long bytes = 4L * e.getValue().data().length;
            h.append(h.length() > 1 ? "," : "").append(Json.quote(e.getKey())).append(":{\"dtype\":\"F32\",\"shape\":[");
            long[] shape = e.getValue().shape();
            for (int d = 0; d < shape.length; d++) {
                h.append(d > 0 ? "," : "").append(shape[d]);
            }
            h.append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        h.append('}');
        byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
        int pad = (8 - header.length % 8) % 8; // align the data to 8 bytes, with spaces as the format allows
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        String name = file.getFileName().toString();
        removeDeadPartials(dir, name);
        Path tmp = null;
        FileChannel ch = null;
        while (ch == null) {
            tmp = dir.resolve(name + "." + String.format("%016x", RANDOM.nextLong()) + PARTIAL);
            WRITING.add(tmp); // before it exists: a cleanup in this JVM never opens it (closing would drop our lock)
            try {
                // created with the mode of any new file (0666 & ~umask), not a temp file's 0600
                ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            } catch (FileAlreadyExistsException taken) {
                WRITING.remove(tmp);
            } catch (IOException | RuntimeException e) {
                WRITING.remove(tmp);
                throw e;
            }
        }
        boolean moved = false;
        try (FileChannel out = ch) {
            // held until the rename: the lock of a killed writer is gone, so the next save knows its partial is dead
            out.lock();
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length + pad);
            writeFully(out, len.flip());
            ByteBuffer hb = ByteBuffer.allocate(header.length + pad).put(header);
            while (hb.hasRemaining()) {
                hb.put((byte) ' ');
            }
            writeFully(out, hb.flip());
            ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (Entry e : tensors.values()) {
                for (float v : e.data()) {
                    if (buf.remaining() < 4) {
                        writeFully(out, buf.flip());
                        buf.clear();
                    }
                    buf.putFloat(v);
                }
            }
            writeFully(out, buf.flip());
            out.force(true); // the data is on disk before the name points at it
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
        } finally {
            try {
                if (!moved) {
                    Files.deleteIfExists(tmp);
                }
            } finally {
                WRITING.remove(tmp);
            }
        }
        forceDirectory(dir); // and the rename itself survives a power cut
    }

    /**
     * Deletes the partial files {@code <name>.<16 hex digits>.partial} that a killed or crashed
     * save of {@code name} left in {@code dir}: those no writer holds locked. Anything else — the
     * target itself, other targets' partials, a live writer's, other files — is left alone, and
     * a partial that cannot be examined is left for a later save.
     */
    private static void removeDeadPartials(Path dir, String name) {
        Pattern ours = Pattern.compile(Pattern.quote(name) + "\\.[0-9a-f]{16}" + Pattern.quote(PARTIAL));
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                if (!ours.matcher(p.getFileName().toString()).matches() || WRITING.contains(p)
                        || !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                try (FileChannel c = FileChannel.open(p, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                    if (c.tryLock() != null) { // no live writer holds it
                        Files.deleteIfExists(p);
                    }
                } catch (IOException | OverlappingFileLockException e) {
                    // gone meanwhile, or in use: leave it
                }
            }
        } catch (IOException | DirectoryIteratorException e) {
            // an unreadable directory: the save itself will report what is wrong
        }
    }

    /** fsync of the directory, so that a rename in it is durable (where the platform can open a directory). */
    private static void forceDirectory(Path dir) throws IOException {
        FileChannel d;
        try {
            d = FileChannel.open(dir, StandardOpenOption.READ);
        } catch (IOException e) {
            return; // Windows cannot open a directory; its renames are durable by other means
        }
        try (d) {
            d.force(true);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** Reads and validates {@code file}. */
    public static Contents read(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such checkpoint file");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new IOException(file + ": truncated: " + size + " bytes, shorter than the 8-byte header length");
            }
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(file, ch, len, 0);
            long headerLen = len.flip().getLong();
            if (headerLen < 2 || headerLen > MAX_HEADER || 8 + headerLen > size) {
                throw new IOException(file + ": header length " + headerLen + " does not fit the file's " + size + " bytes");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(file, ch, hb, 8);
            Object parsed;
            try {
                parsed = Json.parse(new String(hb.array(), StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": corrupt header: " + e.getMessage(), e);
            }
            if (!(parsed instanceof Map<?, ?> header)) {
                throw new IOException(file + ": header is not a JSON object");
            }
            long dataStart = 8 + headerLen;
            long dataSize = size - dataStart;
            Map<String, String> metadata = new LinkedHashMap<>();
            List<Object[]> specs = new ArrayList<>(); // name, shape, begin, end
            for (Map.Entry<?, ?> e : header.entrySet()) {
                String name = (String) e.getKey();
                if (name.equals("__metadata__")) {
                    if (!(e.getValue() instanceof Map<?, ?> m)) {
                        throw new IOException(file + ": __metadata__ is not an object");
                    }
                    for (Map.Entry<?, ?> me : m.entrySet()) {
                        if (!(me.getValue() instanceof String v)) {
                            throw new IOException(file + ": metadata \"" + me.getKey() + "\" is not a string");
                        }
                        metadata.put((String) me.getKey(), v);
                    }
                    continue;
                }
                specs.add(spec(file, name, e.getValue(), dataSize));
            }
            specs.sort(Comparator.comparingLong(s -> (Long) s[2]));
            long expect = 0;
            for (Object[] s : specs) {
                if ((Long) s[2] != expect) {
                    throw new IOException(file + ": tensor \"" + s[0] + "\" starts at byte " + s[2] + " of the data, expected "
                            + expect + " (gap or overlap)");
                }
                expect = (Long) s[3];
            }
            if (expect != dataSize) {
                throw new IOException(file + ": truncated or padded: the header describes " + expect + " data bytes, the file has "
                        + dataSize);
            }
            Map<String, Entry> tensors = new LinkedHashMap<>();
            ByteBuffer chunk = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (Object[] s : specs) {
                long begin = (Long) s[2];
                long end = (Long) s[3];
                float[] values = new float[(int) ((end - begin) / 4)]; // spec() bounded the count by MAX_ELEMENTS
                long pos = dataStart + begin;
                for (int done = 0; done < values.length;) { // in chunks: a tensor may span more than 2 GB
                    int n = Math.min(values.length - done, chunk.capacity() / 4);
                    chunk.clear().limit(4 * n);
                    readFully(file, ch, chunk, pos);
                    chunk.flip().asFloatBuffer().get(values, done, n);
                    done += n;
                    pos += 4L * n;
                }
                tensors.put((String) s[0], new Entry((long[]) s[1], values));
            }
            return new Contents(tensors, metadata);
        }
    }

    private static Object[] spec(Path file, String name, Object value, long dataSize) throws IOException {
        if (!(value instanceof Map<?, ?> m)) {
            throw new IOException(file + ": tensor \"" + name + "\" is not described by an object");
        }
        if (!m.containsKey("dtype")) {
            throw new IOException(file + ": tensor \"" + name + "\" has no dtype");
        }
        if (!"F32".equals(m.get("dtype"))) {
            throw new IOException(file + ": tensor \"" + name + "\" has dtype " + m.get("dtype") + "; only F32 is supported");
        }
        if (!(m.get("shape") instanceof List<?> shapeList) || !(m.get("data_offsets") instanceof List<?> offsets)
                || offsets.size() != 2) {
            throw new IOException(file + ": tensor \"" + name + "\" lacks a shape or a [begin, end] data_offsets");
        }
        long[] shape = new long[shapeList.size()];
        for (int d = 0; d < shape.length; d++) {
            if (!(shapeList.get(d) instanceof Long v) || v < 0) {
                throw new IOException(file + ": tensor \"" + name + "\" has a bad shape " + shapeList);
            }
            shape[d] = v;
        }
        // checked before each multiplication: [4, 2^62] must not wrap to 0 elements
        long count = 0;
        if (Arrays.stream(shape).noneMatch(v -> v == 0)) { // a zero extent anywhere: no elements, whatever the others
            count = 1;
            for (long v : shape) {
                if (count > MAX_ELEMENTS / v) {
                    throw new IOException(file + ": tensor \"" + name + "\" has shape " + shapeList + ", more than "
                            + MAX_ELEMENTS + " elements (the most one Java array holds)");
                }
                count *= v;
            }
        }
        if (!(offsets.get(0) instanceof Long begin) || !(offsets.get(1) instanceof Long end) || begin < 0 || end < begin
                || end > dataSize) {
            throw new IOException(file + ": tensor \"" + name + "\" has data_offsets " + offsets + " outside the file's "
                    + dataSize + " data bytes (truncated or corrupt)");
        }
        if (end - begin != 4 * count) {
            throw new IOException(file + ": tensor \"" + name + "\" spans " + (end - begin) + " bytes but its shape "
                    + shapeList + " needs " + 4 * count);
        }
        return new Object[] {name, shape, begin, end};
    }

    private static void readFully(Path file, FileChannel ch, ByteBuffer b, long position) throws IOException {
        long pos = position;
        while (b.hasRemaining()) {
            int n = ch.read(b, pos);
            if (n < 0) {
                throw new IOException(file + ": unexpected end of file at byte " + pos + " (truncated while being read?)");
            }
            pos += n;
        }
    }
}
