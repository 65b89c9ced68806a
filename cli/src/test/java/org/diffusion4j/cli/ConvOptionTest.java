package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusion4j.ConvAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --conv on train and sample: every value maps to its algorithm, a bad value is named, training runs with it. */
class ConvOptionTest {
    @TempDir
    Path dir;

    @Test
    void aBadValueIsAUsageErrorNamingIt() {
        for (String command : new String[] {"train", "sample"}) {
            CommandLineTest.Run r = CommandLineTest.d4j(command, "--conv", "fft", "--device", "cpu", "--out",
                    dir.resolve(command).toString());
            assertEquals(2, r.code(), command);
            assertTrue(r.err().contains("Invalid value for option '--conv': fft (expected one of auto, direct, winograd, "
                    + "winograd-2x2, winograd-4x4)"), r.err());
        }
        assertFalse(Files.exists(dir.resolve("train").resolve("checkpoint.safetensors")));
    }

    @Test
    void everyValueNamesItsAlgorithm() {
        assertEquals(ConvAlgorithm.AUTO, D4j.parseConv(null, "auto"));
        assertEquals(ConvAlgorithm.DIRECT, D4j.parseConv(null, "direct"));
        assertEquals(ConvAlgorithm.WINOGRAD, D4j.parseConv(null, "winograd"));
        assertEquals(ConvAlgorithm.WINOGRAD_2X2, D4j.parseConv(null, "winograd-2x2"));
        assertEquals(ConvAlgorithm.WINOGRAD_4X4, D4j.parseConv(null, "winograd-4x4"));
    }

    @Test
    void trainingAndSamplingRunWithDirectConvolutions() {
        Path run = dir.resolve("run");
        CommandLineTest.Run t = CommandLineTest.train(run, "--steps", "2", "--quiet", "--conv", "direct");
        assertEquals(0, t.code(), t.err());
        Path ckpt = run.resolve("checkpoint.safetensors");
        CommandLineTest.Run s = CommandLineTest.d4j("sample", "--checkpoint", ckpt.toString(), "--out",
                dir.resolve("samples").toString(), "--steps", "2", "--per-label", "1", "--labels", "3", "--device", "cpu",
                "--quiet", "--conv", "winograd-4x4");
        assertEquals(0, s.code(), s.err());
        assertTrue(Files.exists(dir.resolve("samples").resolve("grid.png")));
    }
}
