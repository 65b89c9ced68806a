package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.diffusion.AnnealedLangevin;
import org.diffusion4j.diffusion.NoiseLevels;
import org.diffusion4j.diffusion.SampleNoise;
import org.diffusion4j.diffusion.ScoreMatching;
import org.diffusion4j.nn.UNet;
import org.diffusion4j.train.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code d4j train --model ncsn} writes a score checkpoint with its σ sequence; {@code d4j sample}
 * draws from it by annealed Langevin dynamics exactly as the library does; {@code d4j evaluate}
 * scores it and a DDPM's predictor–corrector rows with their network evaluations; options of the
 * other kind of model are usage errors that write nothing.
 */
class ScoreModelCommandTest {
    @TempDir
    Path dir;

    private Path train(String name, String... more) {
        Path out = dir.resolve(name);
        List<String> a = new java.util.ArrayList<>(List.of("train", "--steps", "3", "--batch", "2", "--base", "8", "--device",
                "cpu", "--quiet", "--out", out.toString()));
        a.addAll(List.of(more));
        assertEquals(0, D4j.run(a.toArray(String[]::new)));
        return out.resolve("checkpoint.safetensors");
    }

    private Path ncsn() {
        // σ_1 = 0.5 keeps an untrained network's samples mostly inside [−1, 1], so 8-bit pixels can tell samplers apart
        return train("ncsn", "--model", "ncsn", "--sigma-max", "0.5", "--levels", "6");
    }

    @Test
    void trainRecordsTheLevelsAndSampleRunsAnnealedLangevinAsTheLibraryDoes() throws IOException {
        Path ckpt = ncsn();
        Checkpoint c = Checkpoint.read(ckpt);
        assertTrue(c.isScoreModel());
        assertEquals(new ScoreMatching(NoiseLevels.geometric(0.5, 0.02, 6)), c.scoreMatching());
        assertThrows(IllegalStateException.class, c::diffusion, "a score checkpoint has no diffusion process");

        Path samples = dir.resolve("samples");
        assertEquals(0, D4j.run(new String[] {"sample", "--checkpoint", ckpt.toString(), "--out", samples.toString(),
            "--langevin-steps", "2", "--per-label", "2", "--labels", "3", "--guidance", "1", "--device", "cpu", "--quiet"}));
        int[] cli = new int[2 * 784];
        for (int i = 0; i < 2; i++) {
            BufferedImage img = ImageIO.read(samples.resolve(String.format("sample-%03d-label-3-dress.png", i)).toFile());
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    cli[i * 784 + y * 28 + x] = img.getRaster().getSample(x, y, 0);
                }
            }
        }
        long inside = Arrays.stream(cli).filter(v -> v > 0 && v < 255).count();
        assertTrue(inside > cli.length / 2, inside + " of " + cli.length + " pixels unclipped: the comparison has signal");
        ScoreMatching p = c.scoreMatching();
        double eps = AnnealedLangevin.ncsnv2StepSize(p.levels(), 2);
        assertEquals(Arrays.toString(library(c, new AnnealedLangevin(p, 2, eps, true, 1))), Arrays.toString(cli),
                "d4j sample runs T = 2 steps per level at technique 4's step, then the denoising step");
        assertFalse(Arrays.equals(library(c, new AnnealedLangevin(p, 2, eps, false, 1)), cli),
                "without the denoising step the images differ");
        assertFalse(Arrays.equals(library(c, new AnnealedLangevin(p, 2, eps / 2, true, 1)), cli),
                "at another step size the images differ");
    }

    /** The library's samples of label 3 (seed 0, ids 0, 1) as d4j sample's 8-bit pixels. */
    private static int[] library(Checkpoint c, AnnealedLangevin sampler) throws IOException {
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, c.config())) {
            c.loadWeights(net, true);
            try (Tensor x = sampler.sample(ctx, net, new int[] {2, 28, 28, 1}, new int[] {3, 3}, SampleNoise.of(0, 2), null)) {
                float[] v = x.toArray();
                int[] px = new int[v.length];
                for (int i = 0; i < v.length; i++) {
                    px[i] = Math.round((Math.max(-1f, Math.min(1f, v[i])) + 1f) * 127.5f);
                }
                return px;
            }
        }
    }

    @Test
    void evaluateScoresLangevinAndPredictorCorrectorRowsWithTheirNetworkEvaluations() throws IOException {
        Path eval = dir.resolve("eval-ncsn");
        assertEquals(0, D4j.run(new String[] {"evaluate", "--checkpoint", ncsn().toString(), "--n", "8", "--langevin-steps",
            "1", "--guidance", "0", "--out", eval.toString(), "--device", "cpu", "--quiet"}));
        String[] row = Files.readAllLines(eval.resolve("results.csv")).get(1).split(",");
        assertTrue(row[0].startsWith("\"Langevin L=6 T=1 eps="), row[0]);
        assertEquals("7", row[10], "6 levels x 1 step + the denoising step");
        assertTrue(Double.parseDouble(row[2]) > Double.parseDouble(row[3]), "an untrained model's FID is above the floor");

        Path ddpm = train("ddpm");
        Path pc = dir.resolve("eval-pc");
        assertEquals(0, D4j.run(new String[] {"evaluate", "--checkpoint", ddpm.toString(), "--n", "8", "--ddpm-steps", "2,3",
            "--corrector-steps", "1", "--guidance", "2", "--out", pc.toString(), "--device", "cpu", "--quiet"}));
        List<String> csv = Files.readAllLines(pc.resolve("results.csv"));
        assertTrue(csv.get(1).startsWith("\"PC DDPM S=2 fixed_beta_tilde w=2 + 1 corrector snr=0.16\""), csv.get(1));
        assertEquals("8", csv.get(1).split(",")[10], "2 steps x (1 + 1 corrector) x 2 for guidance");
        assertEquals("12", csv.get(2).split(",")[10]);
    }

    @Test
    void optionsOfTheOtherKindOfModelAreUsageErrors() throws IOException {
        Path ckpt = ncsn();
        String out = dir.resolve("x").toString();
        for (String[] bad : new String[][] {{"--steps", "5"}, {"--sampler", "ddpm"}, {"--corrector-steps", "1"},
            {"--step-size", "1"}, {"--langevin-steps", "0"}}) {
            String[] a = {"sample", "--checkpoint", ckpt.toString(), "--out", out, "--device", "cpu", "--quiet", bad[0], bad[1]};
            assertEquals(2, D4j.run(a), String.join(" ", bad));
        }
        assertEquals(2, D4j.run(new String[] {"evaluate", "--checkpoint", ckpt.toString(), "--bpd", "--out", out, "--device",
            "cpu", "--quiet"}), "the diffusion bound of a score model");
        assertFalse(Files.exists(dir.resolve("x").resolve("labels.csv")), "and they write nothing");

        Path ddpm = train("ddpm");
        assertEquals(2, D4j.run(new String[] {"sample", "--checkpoint", ddpm.toString(), "--out", out, "--langevin-steps", "3",
            "--device", "cpu", "--quiet"}), "Langevin options on a diffusion checkpoint");
        assertEquals(2, D4j.run(new String[] {"train", "--model", "ncsn", "--variance", "learned", "--steps", "1", "--out",
            out}), "a diffusion option with --model ncsn");
        assertEquals(2, D4j.run(new String[] {"train", "--levels", "10", "--steps", "1", "--out", out}),
                "an ncsn option without --model ncsn");
        assertEquals(2, D4j.run(new String[] {"train", "--model", "ncsn", "--sigma-max", "0.01", "--sigma-min", "0.02",
            "--steps", "1", "--out", out}), "sigma_1 below sigma_L");
        assertEquals(2, D4j.run(new String[] {"train", "--model", "ncsn", "--steps", "4", "--batch", "2", "--out",
            ddpm.getParent().toString(), "--resume", "--device", "cpu", "--quiet"}), "resuming a ddpm run as ncsn");
        assertEquals(3, Checkpoint.read(ddpm).step(), "and the ddpm checkpoint is untouched");
    }
}
