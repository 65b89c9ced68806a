package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusion4j.Device;
import org.diffusion4j.Precision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --precision fp32|bf16 on train and sample: parsed, a bad value named, bf16 refused where it has no kernels. */
class PrecisionOptionTest {
    @TempDir
    Path dir;

    static boolean bf16Build() {
        return Device.cpuIsa().equals("avx512+bf16");
    }

    @Test
    void aBadValueIsAUsageErrorNamingIt() {
        for (String command : new String[] {"train", "sample"}) {
            CommandLineTest.Run r = CommandLineTest.d4j(command, "--precision", "fp16", "--device", "cpu", "--out",
                    dir.resolve(command).toString());
            assertEquals(2, r.code(), command);
            assertTrue(r.err().contains("Invalid value for option '--precision': fp16 (expected one of fp32, bf16)"), r.err());
        }
        assertFalse(Files.exists(dir.resolve("train").resolve("checkpoint.safetensors")));
    }

    @Test
    void theHelpListsIt() {
        for (String command : new String[] {"train", "sample"}) {
            CommandLineTest.Run r = CommandLineTest.d4j(command, "--help");
            assertEquals(0, r.code());
            assertTrue(r.out().contains("--precision=P") && r.out().contains("bf16"), r.out());
        }
    }

    @Test
    void theTrainConfigCarriesIt() {
        TrainOptions o = new TrainOptions();
        assertEquals(Precision.FP32, o.trainConfig(0).precision());
        o.precision = "bf16";
        assertEquals(Precision.BF16, o.trainConfig(0).precision());
    }

    /** bf16 trains and samples on the avx512+bf16 build; elsewhere both refuse it (exit 1) naming the build, writing nothing. */
    @Test
    void bf16TrainsAndSamplesOrIsRefusedNamingTheBuild() {
        Path run = dir.resolve("run");
        Path ckpt = run.resolve("checkpoint.safetensors");
        CommandLineTest.Run t = CommandLineTest.train(run, "--steps", "2", "--quiet", "--precision", "bf16");
        if (bf16Build()) {
            assertEquals(0, t.code(), t.err());
            assertTrue(t.out().contains("bf16"), t.out());
        } else {
            assertEquals(1, t.code());
            assertTrue(t.err().contains("--precision bf16") && t.err().contains(Device.cpuIsa()), t.err());
            assertFalse(Files.exists(ckpt));
            assertEquals(0, CommandLineTest.train(run, "--steps", "2", "--quiet").code()); // fp32, to sample from
        }
        assertTrue(Files.exists(ckpt));
        CommandLineTest.Run s = CommandLineTest.d4j("sample", "--checkpoint", ckpt.toString(), "--out",
                dir.resolve("samples").toString(), "--steps", "2", "--per-label", "1", "--labels", "3", "--device", "cpu",
                "--quiet", "--precision", "bf16");
        if (bf16Build()) {
            assertEquals(0, s.code(), s.err());
            assertTrue(Files.exists(dir.resolve("samples").resolve("grid.png")));
        } else {
            assertEquals(1, s.code());
            assertTrue(s.err().contains("--precision bf16") && s.err().contains(Device.cpuIsa()), s.err());
            assertFalse(Files.exists(dir.resolve("samples").resolve("grid.png")));
        }
    }
}
