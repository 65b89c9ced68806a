package org.diffusion4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.AbstractMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    @TempDir
    Path dir;

    private static Map<String, Safetensors.Entry> sample() {
        Map<String, Safetensors.Entry> m = new LinkedHashMap<>();
        m.put("conv.weight", new Safetensors.Entry(new long[] {3, 3, 2, 4}, range(72, 0.5f)));
        m.put("bias", new Safetensors.Entry(new long[] {4}, new float[] {Float.NaN, -0.0f, Float.MIN_VALUE, 1e30f}));
        m.put("scalar", new Safetensors.Entry(new long[] {}, new float[] {7f}));
        return m;
    }

    private static float[] range(int n, float scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) Math.sin(i) * scale;
        }
        return x;
    }

    @Test
    void roundTripsBitExactlyWithMetadata() throws IOException {
        Path f = dir.resolve("ckpt.safetensors");
        Map<String, String> meta = Map.of("config", "{\"channels\": 64, \"name\": \"a \\\"quoted\\\" one\"}", "step", "1234");
        Safetensors.write(f, sample(), meta);
        Safetensors.Contents c = Safetensors.read(f);
        assertEquals(meta, c.metadata());
        assertEquals(sample().keySet(), c.tensors().keySet());
        for (Map.Entry<String, Safetensors.Entry> e : sample().entrySet()) {
            Safetensors.Entry got = c.tensors().get(e.getKey());
            assertArrayEquals(e.getValue().shape(), got.shape());
            for (int i = 0; i < got.data().length; i++) {
                assertEquals(Float.floatToRawIntBits(e.getValue().data()[i]), Float.floatToRawIntBits(got.data()[i]),
                        e.getKey() + "[" + i + "]");
            }
        }
        long headerLen = ByteBuffer.wrap(Files.readAllBytes(f), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + headerLen) % 8, "data starts 8-byte aligned");
    }

    /** A file laid out by hand from the format's description, as other implementations write it. */
    @Test
    void readsAHandWrittenFile() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[0,8]},\"__metadata__\":{\"format\":\"pt\"}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).putFloat(1.5f).putFloat(-2f);
        Path f = dir.resolve("hand.safetensors");
        Files.write(f, b.array());
        Safetensors.Contents c = Safetensors.read(f);
        assertArrayEquals(new float[] {1.5f, -2f}, c.tensors().get("w").data());
        assertArrayEquals(new long[] {2, 1}, c.tensors().get("w").shape());
        assertEquals("pt", c.metadata().get("format"));
    }

    /** The bytes of a valid file of {@link #sample()}. */
    private byte[] goodFile() throws IOException {
        Path good = dir.resolve("good.safetensors");
        Safetensors.write(good, sample(), Map.of("step", "1"));
        return Files.readAllBytes(good);
    }

    @Test
    void corruptOrTruncatedFilesAreNamed() throws IOException {
        byte[] bytes = goodFile();
        Path f = dir.resolve("bad.safetensors");

        Files.write(f, java.util.Arrays.copyOf(bytes, bytes.length - 5));
        IOException cut = assertThrows(IOException.class, () -> Safetensors.read(f));
        assertTrue(cut.getMessage().contains("truncated"), cut.getMessage());

        Files.write(f, java.util.Arrays.copyOf(bytes, 5));
        assertTrue(assertThrows(IOException.class, () -> Safetensors.read(f)).getMessage().contains("truncated"));

        byte[] badLen = bytes.clone();
        badLen[6] = 0x7f; // an absurd header length
        Files.write(f, badLen);
        assertTrue(assertThrows(IOException.class, () -> Safetensors.read(f)).getMessage().contains("header length"));

        byte[] badJson = bytes.clone();
        badJson[8] = '['; // the header no longer opens an object
        Files.write(f, badJson);
        IOException json = assertThrows(IOException.class, () -> Safetensors.read(f));
        assertTrue(json.getMessage().contains("corrupt header") || json.getMessage().contains("not a JSON object"),
                json.getMessage());

        String text = new String(bytes, StandardCharsets.ISO_8859_1).replace("\"F32\"", "\"F16\"");
        Files.write(f, text.getBytes(StandardCharsets.ISO_8859_1));
        assertTrue(assertThrows(IOException.class, () -> Safetensors.read(f)).getMessage().contains("dtype F16"));

        assertThrows(NoSuchFileException.class, () -> Safetensors.read(dir.resolve("absent.safetensors")));
    }

    /** A save that dies half-way leaves the previous checkpoint as it was, and no partial file. */
    @Test
    void interruptedSaveKeepsThePreviousFile() throws IOException {
        Path f = dir.resolve("ckpt.safetensors");
        Safetensors.write(f, sample(), Map.of("step", "1"));
        byte[] before = Files.readAllBytes(f);
        Map<String, Safetensors.Entry> failing = new AbstractMap<>() {
            @Override
            public Set<Entry<String, Safetensors.Entry>> entrySet() {
                return sample().entrySet();
            }

            @Override
            public java.util.Collection<Safetensors.Entry> values() {
                throw new IllegalStateException("disk full (simulated)");
            }
        };
        assertThrows(IllegalStateException.class, () -> Safetensors.write(f, failing, Map.of("step", "2")));
        assertArrayEquals(before, Files.readAllBytes(f));
        try (var files = Files.list(dir)) {
            assertEquals(Set.of("ckpt.safetensors"), files.map(p -> p.getFileName().toString()).collect(Collectors.toSet()));
        }
    }

    @Test
    void badEntriesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Safetensors.Entry(new long[] {2, 2}, new float[3]));
        assertThrows(IllegalArgumentException.class,
                () -> Safetensors.write(dir.resolve("x"), Map.of("__metadata__", new Safetensors.Entry(new long[] {1},
                        new float[1])), null));
    }

    /** A file whose header is {@code header} (padded with spaces to 8 bytes) and {@code dataBytes} zero bytes of data. */
    private Path handWritten(String name, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        int pad = (8 - h.length % 8) % 8;
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + pad + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length + pad).put(h);
        for (int i = 0; i < pad; i++) {
            b.put((byte) ' ');
        }
        Path f = dir.resolve(name);
        Files.write(f, b.array());
        return f;
    }

    /** 40 kB of nested brackets overflowed the parser's stack; now one IOException names the file and the depth. */
    @Test
    void deeplyNestedHeadersAreRefusedWithTheDepth() throws IOException {
        String deep = "[".repeat(20_000) + "]".repeat(20_000);
        for (String header : new String[] {deep, "{\"a\":" + deep + "}", "{\"x\":{\"y\":".repeat(40) + "1" + "}}".repeat(40)}) {
            Path f = handWritten("deep.safetensors", header, 0);
            IOException e = assertThrows(IOException.class, () -> Safetensors.read(f));
            System.out.println("nested header: " + e.getMessage());
            assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("deeper than " + Json.MAX_DEPTH),
                    e.getMessage());
        }
        // the depth a safetensors header needs (3) and well beyond it still parse
        String ok = "{\"a\":" + "[".repeat(Json.MAX_DEPTH - 1) + "]".repeat(Json.MAX_DEPTH - 1) + "}";
        assertTrue(Json.parse(ok) instanceof Map<?, ?>);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Json.parse("[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1)));
        assertTrue(e.getMessage().contains("depth " + (Json.MAX_DEPTH + 1)), e.getMessage());
        assertEquals("\u00e9A", Json.parse("\"\\u00e9\\u0041\""));
        e = assertThrows(IllegalArgumentException.class, () -> Json.parse("\"\\u+0zz\""));
        assertTrue(e.getMessage().contains("bad \\u escape"), e.getMessage());
    }

    /** Shapes whose element count overflows a long (or a Java array) are refused before anything is allocated. */
    @Test
    void overflowingShapesAreRefused() throws IOException {
        // 4·2^62 wraps to 0 elements, which matched data_offsets [0, 0]: a tensor of shape [4, 2^62] with no data
        String[] shapes = {"[4,4611686018427387904]", "[2,2,4611686018427387904]", "[2,9223372036854775807]",
            "[4294967296,4294967296]", "[65536,65536]", "[3037000500,3037000500]"};
        for (String shape : shapes) {
            Path f = handWritten("overflow.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":" + shape
                    + ",\"data_offsets\":[0,0]}}", 0);
            IOException e = assertThrows(IOException.class, () -> Safetensors.read(f), shape);
            System.out.println("shape " + shape + ": " + e.getMessage());
            assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("tensor \"w\"")
                    && e.getMessage().contains("shape"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new Safetensors.Entry(new long[] {4, 1L << 62}, new float[0]));
        // a zero extent means no elements, however large the others
        Path empty = handWritten("empty.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4,0],"
                + "\"data_offsets\":[0,0]}}", 0);
        assertEquals(0, Safetensors.read(empty).tensors().get("w").data().length);
    }

    /** A header length beyond the file, beyond the format's maximum or negative: one IOException naming the file. */
    @Test
    void headerLengthsBeyondTheFileAreRefused() throws IOException {
        byte[] bytes = goodFile();
        Path f = dir.resolve("bad.safetensors");
        for (long len : new long[] {bytes.length - 7, bytes.length, 99_000_000L, 200_000_000L, Long.MAX_VALUE, -8, 0, 1}) {
            byte[] b = bytes.clone();
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, len);
            Files.write(f, b);
            IOException e = assertThrows(IOException.class, () -> Safetensors.read(f), "header length " + len);
            assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("header length " + len),
                    e.getMessage());
        }
    }

    /** Offsets that overlap, leave gaps, run backwards, past the data or are not integers; dtype absent or unknown. */
    @Test
    void badOffsetsAndDtypesNameTheTensor() throws IOException {
        String two = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":%s},"
                + "\"b\":{\"dtype\":%s,\"shape\":[1],\"data_offsets\":%s}}";
        String[][] cases = {
            {"[0,8]", "\"F32\"", "[4,8]", "\"b\""}, // overlap
            {"[0,8]", "\"F32\"", "[12,16]", "\"b\""}, // gap
            {"[8,0]", "\"F32\"", "[8,12]", "\"a\""}, // backwards
            {"[0,8]", "\"F32\"", "[8,400]", "\"b\""}, // past the data
            {"[0,-8]", "\"F32\"", "[8,12]", "\"a\""},
            {"[\"0\",8]", "\"F32\"", "[8,12]", "\"a\""},
            {"[0,8,12]", "\"F32\"", "[8,12]", "\"a\""},
            {"[0,8]", "\"I64\"", "[8,12]", "\"b\""},
            {"[0,8]", "7", "[8,12]", "\"b\""},
        };
        for (String[] c : cases) {
            Path f = handWritten("offsets.safetensors", String.format(two, c[0], c[1], c[2]), 12);
            IOException e = assertThrows(IOException.class, () -> Safetensors.read(f), String.join(" ", c));
            assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("tensor " + c[3]), e.getMessage());
        }
        Path f = handWritten("nodtype.safetensors", "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        IOException e = assertThrows(IOException.class, () -> Safetensors.read(f));
        assertTrue(e.getMessage().contains("tensor \"a\"") && e.getMessage().contains("dtype"), e.getMessage());
    }

    private Set<String> files() throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
    }

    /** The saved file has the mode any new file in its directory gets (0644 under umask 022), not a temp file's 0600. */
    @Test
    void savedFileHasTheModeOfANewFile() throws IOException {
        Path probe = Files.createFile(dir.resolve("probe"));
        Path f = dir.resolve("ckpt.safetensors");
        Safetensors.write(f, sample(), Map.of());
        Safetensors.write(f, sample(), Map.of()); // replacing too
        assertEquals(PosixFilePermissions.toString(Files.getPosixFilePermissions(probe)),
                PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        System.out.println("saved checkpoint mode: " + PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
    }

    /**
     * A writer killed with SIGKILL half-way through a save (a child JVM) leaves the previous
     * checkpoint intact beside its partial file; the next save removes that partial and leaves
     * none of its own, touching nothing else: not another target's partial, not a partial whose
     * writer still holds it, not other files.
     */
    @Test
    void aKilledSaveKeepsThePreviousCheckpointAndTheNextSaveCleansUp() throws Exception {
        Path f = dir.resolve("ckpt.safetensors");
        Safetensors.write(f, sample(), Map.of("step", "1"));
        byte[] before = Files.readAllBytes(f);
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"),
                KilledSaveChild.class.getName(), f.toString()).redirectErrorStream(true).start();
        try (var out = new java.io.BufferedReader(new java.io.InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            StringBuilder seen = new StringBuilder();
            while ((line = out.readLine()) != null && !line.equals("MID-WRITE")) {
                seen.append(line).append('\n');
            }
            assertEquals("MID-WRITE", line, "the child never reached the middle of its save: " + seen);
            child.destroyForcibly(); // SIGKILL: no finally block, no shutdown hook runs
            assertTrue(child.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        }
        assertArrayEquals(before, Files.readAllBytes(f), "the previous checkpoint is untouched");
        Set<String> left = files();
        left.remove("ckpt.safetensors");
        assertEquals(1, left.size(), "the killed writer's partial file: " + left);
        String partial = left.iterator().next();
        assertTrue(partial.startsWith("ckpt.safetensors.") && partial.endsWith(".partial"), partial);
        assertTrue(Files.size(dir.resolve(partial)) > 1_000_000, "it died with a megabyte written");

        // beside it: another target's leftover, a partial still held by a live writer, unrelated files
        Set<String> others = Set.of("other.safetensors.0123456789abcdef.partial", "ckpt.safetensors.bak",
                "ckpt.safetensors.partial", "ckpt.safetensors.xyz.partial");
        for (String o : others) {
            Files.write(dir.resolve(o), new byte[] {1, 2, 3});
        }
        Path held = dir.resolve("ckpt.safetensors.fedcba9876543210.partial");
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(held, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE); java.nio.channels.FileLock lock = ch.lock()) {
            Map<String, Safetensors.Entry> next = Map.of("w", new Safetensors.Entry(new long[] {1}, new float[] {2f}));
            Safetensors.write(f, next, Map.of("step", "2"));
            assertEquals("2", Safetensors.read(f).metadata().get("step"));
            Set<String> want = new java.util.HashSet<>(others);
            want.add("ckpt.safetensors");
            want.add(held.getFileName().toString());
            assertEquals(want, files(), "the dead writer's partial is gone, nothing else is");
        }
    }

    /** A partial file of a writer that crashed earlier (no lock held) is removed by the next save of that target. */
    @Test
    void aCrashedWritersPartialIsRemovedByTheNextSave() throws IOException {
        Path f = dir.resolve("ckpt.safetensors");
        Safetensors.write(f, sample(), Map.of("step", "1"));
        byte[] before = Files.readAllBytes(f);
        Files.write(dir.resolve("ckpt.safetensors.00000000deadbeef.partial"), java.util.Arrays.copyOf(before, 100));
        assertArrayEquals(before, Files.readAllBytes(f));
        Safetensors.write(f, sample(), Map.of("step", "2"));
        assertEquals(Set.of("ckpt.safetensors"), files());
    }
}
