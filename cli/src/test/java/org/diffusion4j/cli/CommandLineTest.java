package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line's contract: help, version, checked values, exit codes, never overwriting a checkpoint, --quiet. */
class CommandLineTest {
    @TempDir
    Path dir;

    /** What one {@code d4j} run printed and returned. */
    record Run(int code, String out, String err) {
        /** The lines of stdout that report progress (a percentage and an ETA). */
        List<String> progressLines() {
            return out.lines().filter(l -> l.matches(".*\\d+%\\s+ETA .*")).toList();
        }
    }

    /** Runs d4j with System.out and System.err captured. */
    static Run d4j(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = D4j.run(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        Run r = new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        oldOut.print(r.out());
        oldErr.print(r.err());
        return r;
    }

    /** d4j train on Fashion-MNIST, tiny and on the CPU, into {@code out}, with {@code more} options. */
    static Run train(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "--batch", "2", "--base", "8", "--device", "cpu", "--out",
                out.toString()));
        a.addAll(List.of(more));
        return d4j(a.toArray(String[]::new));
    }

    @Test
    void everyCommandHasHelp() {
        for (String command : new String[] {"train", "sample", "forward", "info"}) {
            Run r = d4j(command, "--help");
            assertEquals(0, r.code(), command + " --help");
            assertTrue(r.out().startsWith("Usage: d4j " + command), r.out());
        }
        Run train = d4j("train", "--help");
        assertTrue(train.out().contains("--steps=N") && train.out().contains("--resume") && train.out().contains("--force"));
        assertTrue(train.out().contains("Default: 32"), "defaults are shown"); // --batch, --base
        assertTrue(d4j("sample", "--help").out().contains("Default: ddim"));
        assertEquals(0, d4j("--help").code());
    }

    @Test
    void versionNamesTheLibraryVersion() {
        Run r = d4j("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().matches("(?s)d4j \\d+\\.\\d+\\.\\d+\\S*, the command line of diffusion4j \\d+\\.\\d+\\.\\d+.*"), r.out());
    }

    @Test
    void aBadNumberNamesTheOptionAndTheValueAndExitsWith2() {
        String[][] cases = {
            {"train", "--batch", "abc"}, {"train", "--batch", "0"}, {"train", "--lr", "-1e-3"}, {"train", "--minutes", "-2"},
            {"train", "--ema", "1.5"}, {"train", "--dropout", "1"}, {"train", "--warmup", "-1"}, {"train", "--base", "0"},
            {"sample", "--eta", "-1"}, {"sample", "--guidance", "NaN"}, {"sample", "--per-label", "0"},
            {"sample", "--count", "-3"}, {"sample", "--steps", "x"}, {"forward", "--seed", "1.5"},
        };
        for (String[] c : cases) {
            Run r = d4j(c);
            assertEquals(2, r.code(), String.join(" ", c));
            assertTrue(r.err().contains(c[1]) && r.err().contains(c[2]), "message names option and value: " + r.err());
        }
    }

    @Test
    void stepsAndMinutesTogetherIsAUsageError() {
        Run r = train(dir.resolve("run"), "--steps", "2", "--minutes", "1");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--minutes and --steps exclude each other"), r.err());
        assertFalse(Files.exists(dir.resolve("run")));
    }

    /** Today's bug: --steps -5 trained 0 steps, then overwrote the trained checkpoint with an untrained one. */
    @Test
    void negativeStepsTrainsNothingAndKeepsTheCheckpoint() throws IOException {
        Path out = dir.resolve("run");
        assertEquals(0, train(out, "--steps", "2", "--quiet").code());
        byte[] before = Files.readAllBytes(out.resolve("checkpoint.safetensors"));
        for (String flag : new String[] {"--resume", "--force"}) {
            Run r = train(out, "--steps", "-5", flag);
            assertEquals(2, r.code());
            assertTrue(r.err().contains("'--steps': -5"), r.err());
        }
        assertArrayEquals(before, Files.readAllBytes(out.resolve("checkpoint.safetensors")));
    }

    @Test
    void trainRefusesToOverwriteACheckpointWithoutResumeOrForce() throws IOException {
        Path out = dir.resolve("run");
        Path ckpt = out.resolve("checkpoint.safetensors");
        assertEquals(0, train(out, "--steps", "2", "--quiet").code());
        byte[] before = Files.readAllBytes(ckpt);
        Run again = train(out, "--steps", "3", "--seed", "5", "--quiet");
        assertEquals(1, again.code());
        assertTrue(again.err().contains(ckpt + " exists") && again.err().contains("--resume") && again.err().contains("--force"),
                again.err());
        assertArrayEquals(before, Files.readAllBytes(ckpt), "the refused run left the checkpoint as it was");
        assertEquals(2, train(out, "--steps", "3", "--resume", "--force").code(), "--resume and --force exclude each other");
        assertArrayEquals(before, Files.readAllBytes(ckpt));
        assertEquals(0, train(out, "--steps", "3", "--seed", "5", "--quiet", "--force").code());
        assertFalse(java.util.Arrays.equals(before, Files.readAllBytes(ckpt)), "--force replaced it");
    }

    @Test
    void resumeWithoutACheckpointIsAnError() {
        Path out = dir.resolve("empty");
        Run r = train(out, "--steps", "2", "--resume");
        assertEquals(1, r.code());
        assertTrue(r.err().contains(out.resolve("checkpoint.safetensors") + ": no checkpoint to --resume from"), r.err());
        assertFalse(Files.exists(out.resolve("checkpoint.safetensors")));
    }

    /** Progress lines (percent, ETA) by step for training and sampling; --quiet prints none. */
    @Test
    void progressLinesAndQuiet() {
        Path out = dir.resolve("run");
        Run loud = train(out, "--steps", "2");
        assertEquals(0, loud.code());
        assertEquals(List.of("step      2/2  100%"), loud.progressLines().stream().map(l -> l.substring(0, 19)).toList());
        Run quiet = train(out, "--steps", "4", "--resume", "--quiet");
        assertEquals(0, quiet.code());
        assertEquals(List.of(), quiet.progressLines());
        assertTrue(quiet.out().contains("trained 4 steps"), quiet.out());
        String[] sample = {"sample", "--checkpoint", out.resolve("checkpoint.safetensors").toString(), "--out",
            dir.resolve("samples").toString(), "--steps", "2", "--per-label", "1", "--labels", "3", "--device", "cpu"};
        Run sampled = d4j(sample);
        assertEquals(0, sampled.code());
        assertEquals(1, sampled.progressLines().size(), sampled.out()); // the last of 2 steps (every 10th and the last)
        assertTrue(sampled.progressLines().get(0).contains("step 2/2  100%  ETA 0:00"), sampled.out());
        List<String> quietSample = new ArrayList<>(List.of(sample));
        quietSample.add("--quiet");
        Run q = d4j(quietSample.toArray(String[]::new));
        assertEquals(0, q.code());
        assertEquals(List.of(), q.progressLines());
    }

    @Test
    void durationsReadAsMinutesAndSeconds() {
        assertEquals("0:00", Progress.duration(0.4));
        assertEquals("1:05", Progress.duration(65));
        assertEquals("2:00:01", Progress.duration(7201));
    }
}
