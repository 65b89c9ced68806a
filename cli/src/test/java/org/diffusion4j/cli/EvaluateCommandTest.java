package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.diffusion.GaussianDiffusion;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.nn.NoisyClassifier;
import org.diffusion4j.nn.Param;
import org.diffusion4j.nn.UNetConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** d4j evaluate scores a checkpoint's samples and a folder of PNGs, writing the table as CSV and Markdown. */
class EvaluateCommandTest {
    @TempDir
    Path dir;

    private Path tinyCheckpoint() {
        Path out = dir.resolve("run");
        assertEquals(0, D4j.run(new String[] {"train", "--steps", "2", "--batch", "2", "--base", "8", "--out", out.toString(),
            "--device", "cpu", "--quiet"}));
        return out.resolve("checkpoint.safetensors");
    }

    @Test
    void scoresSamplesAndAFolderWithTheFloor() throws IOException {
        Path ckpt = tinyCheckpoint();
        Path eval = dir.resolve("eval");
        assertEquals(0, D4j.run(new String[] {"evaluate", "--checkpoint", ckpt.toString(), "--n", "20", "--steps", "2",
            "--guidance", "1", "--bpd", "--bpd-images", "8", "--bpd-strata", "3", "--out", eval.toString(), "--device", "cpu",
            "--quiet"}));
        List<String> csv = Files.readAllLines(eval.resolve("results.csv"));
        assertEquals("images,n,fid,floor_fid,accuracy,floor_accuracy,precision,recall,floor_precision,floor_recall,nfe,seconds",
                csv.get(0));
        String[] f = csv.get(1).split(",");
        assertEquals("\"DDIM S=2 eta=0 w=1\"", f[0]);
        assertEquals("20", f[1]);
        double fid = Double.parseDouble(f[2]);
        double floor = Double.parseDouble(f[3]);
        assertTrue(fid > floor && floor > 0, "an untrained model's FID " + fid + " vs the floor " + floor);
        String md = Files.readString(eval.resolve("results.md"));
        assertTrue(md.contains("bits/dim over 8 test images, 3 timestep strata"), md);
        // the samples d4j sample writes, scored as a folder (labels from labels.csv)
        Path samples = dir.resolve("samples");
        assertEquals(0, D4j.run(new String[] {"sample", "--checkpoint", ckpt.toString(), "--out", samples.toString(),
            "--steps", "2", "--per-label", "2", "--device", "cpu", "--quiet"}));
        Path eval2 = dir.resolve("eval2");
        assertEquals(0, D4j.run(new String[] {"evaluate", "--images", samples.toString(), "--out", eval2.toString(),
            "--device", "cpu", "--quiet"}));
        String[] g = Files.readAllLines(eval2.resolve("results.csv")).get(1).split(",");
        assertEquals("20", g[1], "the 20 PNGs labels.csv lists");
        assertTrue(Double.parseDouble(g[4]) >= 0 && Double.parseDouble(g[4]) <= 1, "accuracy from labels.csv");
    }

    /** A learned-variance checkpoint: --ddpm-steps rows with its own Σ_θ, and its bound. */
    @Test
    void scoresALearnedVarianceCheckpointAtRespacedDdpmSteps() throws IOException {
        Path out = dir.resolve("learned");
        assertEquals(0, D4j.run(new String[] {"train", "--steps", "2", "--batch", "2", "--base", "8", "--variance", "learned",
            "--out", out.toString(), "--device", "cpu", "--quiet"}));
        Path eval = dir.resolve("eval-learned");
        assertEquals(0, D4j.run(new String[] {"evaluate", "--checkpoint", out.resolve("checkpoint.safetensors").toString(),
            "--n", "10", "--ddpm-steps", "2,3", "--bpd", "--bpd-images", "4", "--bpd-strata", "2", "--out", eval.toString(),
            "--device", "cpu", "--quiet"}));
        List<String> csv = Files.readAllLines(eval.resolve("results.csv"));
        assertEquals(3, csv.size(), String.join("\n", csv));
        assertTrue(csv.get(1).startsWith("\"DDPM S=2 learned_range"), csv.get(1));
        assertTrue(csv.get(2).startsWith("\"DDPM S=3 learned_range"), csv.get(2));
        assertTrue(Files.readString(eval.resolve("results.md")).contains("bits/dim over 4 test images"));
        assertEquals(2, D4j.run(new String[] {"evaluate", "--checkpoint", out.resolve("checkpoint.safetensors").toString(),
            "--ddpm-steps", "2000", "--out", eval.toString(), "--device", "cpu", "--quiet"}), "S above T");
    }

    /** An unconditional checkpoint steered by a (random, so non-zero-gradient) noisy classifier: a row per scale. */
    @Test
    void scoresClassifierGuidanceAtEachScale() throws IOException {
        Path out = dir.resolve("uncond");
        assertEquals(0, D4j.run(new String[] {"train", "--steps", "2", "--batch", "2", "--base", "8", "--unconditional",
            "--out", out.toString(), "--device", "cpu", "--quiet"}));
        Path classifier = dir.resolve("noisy.safetensors");
        try (Context ctx = Context.create(Device.cpu());
                NoisyClassifier c = new NoisyClassifier(ctx, UNetConfig.small(28, 1, 10, 8), 3)) {
            for (Param p : c.parameters()) {
                p.value().fillNormal(p.name().endsWith("gamma") ? 1f : 0f, 0.2f);
            }
            c.save(classifier, GaussianDiffusion.of(NoiseSchedule.linear(1000)), Map.of());
        }
        Path eval = dir.resolve("eval-guided");
        assertEquals(0, D4j.run(new String[] {"evaluate", "--checkpoint", out.resolve("checkpoint.safetensors").toString(),
            "--n", "10", "--steps", "2", "--guidance-classifier", classifier.toString(), "--classifier-scales", "0,50",
            "--out", eval.toString(), "--device", "cpu", "--quiet"}));
        List<String> csv = Files.readAllLines(eval.resolve("results.csv"));
        assertEquals(3, csv.size(), String.join("\n", csv));
        assertTrue(csv.get(1).startsWith("\"DDIM S=2 eta=0 w=3 s=0\""), csv.get(1));
        assertTrue(csv.get(2).startsWith("\"DDIM S=2 eta=0 w=3 s=50\""), csv.get(2));
        assertTrue(!csv.get(1).split(",")[2].equals(csv.get(2).split(",")[2]), "guidance changes the samples: " + csv);
        assertEquals(2, D4j.run(new String[] {"evaluate", "--checkpoint", out.resolve("checkpoint.safetensors").toString(),
            "--classifier-scales", "1", "--out", eval.toString(), "--device", "cpu", "--quiet"}), "scales need a classifier");
        assertEquals(2, D4j.run(new String[] {"evaluate", "--checkpoint", out.resolve("checkpoint.safetensors").toString(),
            "--guidance-classifier", classifier.toString(), "--classifier-scales", "-1", "--out", eval.toString(),
            "--device", "cpu", "--quiet"}), "a negative scale");
    }

    @Test
    void usageErrors() {
        assertEquals(2, D4j.run(new String[] {"evaluate", "--out", dir.toString()}), "neither --checkpoint nor --images");
        assertEquals(2, D4j.run(new String[] {"evaluate", "--images", dir.toString(), "--bpd"}), "--bpd needs a checkpoint");
        assertEquals(2, D4j.run(new String[] {"evaluate", "--images", dir.toString(), "--n", "1"}));
        assertEquals(2, D4j.run(new String[] {"evaluate", "--images", dir.toString(), "--n", "3"}), "k = 3 needs N >= 4");
        assertEquals(0, D4j.run(new String[] {"evaluate", "--help"}));
        assertEquals(2, D4j.run(new String[] {"evaluate", "--images", dir.toString(), "--no-clip", "--eta", "-1"}));
    }
}
