package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.diffusion4j.io.Safetensors;
import org.diffusion4j.nn.UNetConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sizes read from a checkpoint's metadata are bounded before anything is built from them: a
 * corrupt or hostile file is refused with an IOException naming the file and the key, never a
 * U-Net of 10^12 parameters or a schedule of 2·10^9 steps.
 */
class CheckpointMetadataTest {
    @TempDir
    Path dir;

    private Path checkpoint(String key, String value) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "diffusion4j");
        meta.put("format_version", "2"); // format 2: the schedule is only its length
        meta.putAll(UNetConfig.fashionMnist().toMetadata());
        meta.put("timesteps", "1000");
        if (value == null) {
            meta.remove(key);
        } else {
            meta.put(key, value);
        }
        Path f = dir.resolve("ckpt.safetensors");
        Safetensors.write(f, Map.of(), meta);
        return f;
    }

    @Test
    void outOfRangeConfigurationsNameTheFileAndKey() throws IOException {
        String[][] bad = {
            {"unet.image_size", "1048576"}, {"unet.image_size", "0"}, {"unet.image_size", "-28"},
            {"unet.channels", "100000"}, {"unet.channels", "0"},
            {"unet.base_channels", "1048576"}, {"unet.base_channels", "0"},
            {"unet.multipliers", "1,2,65536"}, {"unet.multipliers", "1,0,2"}, {"unet.multipliers", "1,1,1,1,1,1,1,1,1,1,1,1"},
            {"unet.multipliers", ""}, {"unet.multipliers", "1,2,2048"},
            {"unet.res_blocks", "100000"}, {"unet.res_blocks", "0"},
            {"unet.attention_resolutions", "7,1000000"}, {"unet.attention_resolutions", "0"},
            {"unet.attention_resolutions", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17"},
            {"unet.heads", "1000000"}, {"unet.heads", "0"},
            {"unet.groups", "1048576"}, {"unet.groups", "0"},
            {"unet.dropout", "NaN"}, {"unet.dropout", "1"}, {"unet.dropout", "-0.5"},
            {"unet.classes", "2147483647"}, {"unet.classes", "-1"},
            {"unet.emb_dim", "16777216"}, {"unet.emb_dim", "0"},
        };
        for (String[] kv : bad) {
            Path f = checkpoint(kv[0], kv[1]);
            IOException e = assertThrows(IOException.class, () -> Checkpoint.read(f), kv[0] + " = " + kv[1]);
            assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains(kv[0]),
                    kv[0] + " = " + kv[1] + ": " + e.getMessage());
        }
        System.out.println("e.g. " + assertThrows(IOException.class,
                () -> Checkpoint.read(checkpoint("unet.base_channels", "1048576"))).getMessage());
        assertEquals(UNetConfig.fashionMnist().toString(), Checkpoint.read(checkpoint("timesteps", "1000")).config().toString());
    }

    /** A format-2 checkpoint's schedule length: 1000 when absent, an integer in [21, 100000], else an IOException naming file and key. */
    @Test
    void scheduleLengthIsBounded() throws IOException {
        assertEquals(1000, Checkpoint.read(checkpoint("timesteps", null)).diffusion().timesteps());
        assertEquals(4000, Checkpoint.read(checkpoint("timesteps", "4000")).diffusion().timesteps());
        for (String t : new String[] {"2000000000", "0", "-3", "100001", "1e3", ""}) {
            Path f = checkpoint("timesteps", t);
            IOException e = assertThrows(IOException.class, () -> Checkpoint.read(f), t);
            assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("timesteps"), e.getMessage());
        }
    }

    @Test
    void aBadStepIsNamed() throws IOException {
        for (String v : new String[] {"x", "-4"}) {
            Path f = checkpoint("step", v);
            IOException e = assertThrows(IOException.class, () -> Checkpoint.read(f), v);
            assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("step"), e.getMessage());
        }
    }
}
