package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.diffusion.DdimSampler;
import org.diffusion4j.diffusion.GaussianDiffusion;
import org.diffusion4j.diffusion.ModelOutput;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.diffusion.SampleNoise;
import org.diffusion4j.diffusion.Spacing;
import org.diffusion4j.io.Safetensors;
import org.diffusion4j.nn.UNet;
import org.diffusion4j.train.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The diffusion process travels with the checkpoint: a model trained with the cosine schedule and
 * v-prediction is sampled by {@code d4j sample} with no extra option exactly as the library samples
 * that process (and not as the old default, linear ε); --resume continues it; a format-2 checkpoint
 * still samples; {@code --variance learned} trains and samples Improved DDPM's learned variance.
 */
class ProcessOptionsTest {
    @TempDir
    Path dir;

    static final String[] TRAIN = {"train", "--steps", "3", "--batch", "2", "--base", "8", "--device", "cpu", "--quiet"};

    private Path train(String... more) {
        Path out = dir.resolve("run");
        String[] a = new String[TRAIN.length + 2 + more.length];
        System.arraycopy(TRAIN, 0, a, 0, TRAIN.length);
        a[TRAIN.length] = "--out";
        a[TRAIN.length + 1] = out.toString();
        System.arraycopy(more, 0, a, TRAIN.length + 2, more.length);
        assertEquals(0, D4j.run(a));
        return out.resolve("checkpoint.safetensors");
    }

    /** The 8-bit pixels the library's own DDIM-5 (w = 3, seed 0, ids 0, 1) gives for the checkpoint under {@code d}. */
    private static int[] librarySample(Path ckpt, GaussianDiffusion d) throws IOException {
        Checkpoint c = Checkpoint.read(ckpt);
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, c.config())) {
            c.loadWeights(net, true);
            try (Tensor x = new DdimSampler(d, 5, 0.0, Spacing.TRAILING, 3.0, true).sample(ctx, net,
                    new int[] {2, 28, 28, 1}, new int[] {3, 3}, SampleNoise.of(0, 2), null)) {
                float[] v = x.toArray();
                int[] px = new int[v.length];
                for (int i = 0; i < v.length; i++) {
                    px[i] = Math.round((Math.max(-1f, Math.min(1f, v[i])) + 1f) * 127.5f);
                }
                return px;
            }
        }
    }

    private int[] cliSample(Path ckpt) throws IOException {
        Path samples = dir.resolve("samples");
        assertEquals(0, D4j.run(new String[] {"sample", "--checkpoint", ckpt.toString(), "--out", samples.toString(),
            "--steps", "5", "--per-label", "2", "--labels", "3", "--device", "cpu", "--quiet"}));
        int[] px = new int[2 * 784];
        for (int i = 0; i < 2; i++) {
            BufferedImage img = ImageIO.read(samples.resolve(String.format("sample-%03d-label-3-dress.png", i)).toFile());
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    px[i * 784 + y * 28 + x] = img.getRaster().getSample(x, y, 0);
                }
            }
        }
        return px;
    }

    @Test
    void aCosineVCheckpointSamplesAsItWasTrained() throws IOException {
        Path ckpt = train("--schedule", "cosine", "--prediction", "v");
        GaussianDiffusion trained = GaussianDiffusion.of(NoiseSchedule.cosine(1000)).withOutput(ModelOutput.V);
        assertEquals(trained, Checkpoint.read(ckpt).diffusion());
        int[] cli = cliSample(ckpt);
        assertEquals(java.util.Arrays.toString(librarySample(ckpt, trained)), java.util.Arrays.toString(cli),
                "d4j sample must sample the process the checkpoint records");
        int[] wrong = librarySample(ckpt, GaussianDiffusion.of(NoiseSchedule.linear(1000)));
        assertFalse(java.util.Arrays.equals(wrong, cli), "linear ε sampling of the same weights differs");
    }

    @Test
    void resumeContinuesTheCheckpointsProcess() throws IOException {
        Path ckpt = train("--schedule", "cosine", "--prediction", "x0", "--loss", "min_snr");
        Path out = ckpt.getParent();
        assertEquals(0, D4j.run(new String[] {"train", "--steps", "5", "--batch", "2", "--out", out.toString(), "--device",
            "cpu", "--quiet", "--resume"}));
        Checkpoint c = Checkpoint.read(ckpt);
        assertEquals(5, c.step());
        assertEquals(ModelOutput.X0, c.diffusion().output());
        assertEquals(2, D4j.run(new String[] {"train", "--steps", "6", "--batch", "2", "--out", out.toString(), "--device",
            "cpu", "--quiet", "--resume", "--schedule", "linear"}), "a contradicting option is a usage error");
        assertEquals(5, Checkpoint.read(ckpt).step(), "and writes nothing");
        assertEquals(2, D4j.run(new String[] {"train", "--steps", "2", "--out", dir.resolve("x").toString(), "--prediction",
            "score"}));
    }

    /** One option switches training to Improved DDPM's learned variance; the checkpoint samples with it. */
    @Test
    void learnedVarianceIsOneOption() throws IOException {
        Path ckpt = train("--variance", "learned");
        Checkpoint c = Checkpoint.read(ckpt);
        GaussianDiffusion trained = GaussianDiffusion.of(NoiseSchedule.linear(1000))
                .withVariance(org.diffusion4j.diffusion.VarianceType.LEARNED_RANGE)
                .withLoss(org.diffusion4j.diffusion.LossType.HYBRID);
        assertEquals(trained, c.diffusion());
        assertTrue(c.config().learnVariance(), "the network has the variance channels");
        assertEquals(java.util.Arrays.toString(librarySample(ckpt, trained)), java.util.Arrays.toString(cliSample(ckpt)),
                "DDIM samples from the mean half, through the CLI as through the library");
        Path samples = dir.resolve("ddpm");
        assertEquals(0, D4j.run(new String[] {"sample", "--checkpoint", ckpt.toString(), "--out", samples.toString(),
            "--sampler", "ddpm", "--steps", "5", "--per-label", "1", "--device", "cpu", "--quiet"}));
        assertEquals(2, D4j.run(new String[] {"sample", "--checkpoint", ckpt.toString(), "--out", samples.toString(),
            "--sampler", "ddpm", "--variance", "fixed_beta", "--device", "cpu", "--quiet"}),
                "a fixed variance cannot replace the learned one");
        String out = dir.resolve("bad").toString();
        assertEquals(2, D4j.run(new String[] {"train", "--steps", "2", "--out", out, "--loss", "hybrid"}));
        assertEquals(2, D4j.run(new String[] {"train", "--steps", "2", "--out", out, "--variance", "learned", "--loss",
            "simple"}));
        assertEquals(2, D4j.run(new String[] {"train", "--steps", "2", "--out", out, "--variance", "large"}));
    }

    @Test
    void aFormatTwoCheckpointStillSamples() throws IOException {
        Path ckpt = train();
        Safetensors.Contents c = Safetensors.read(ckpt);
        Map<String, String> meta = new LinkedHashMap<>(c.metadata());
        meta.keySet().removeIf(k -> k.startsWith("diffusion.") || k.equals("seed"));
        meta.put("format_version", "2");
        meta.put("timesteps", "1000");
        Path old = dir.resolve("old.safetensors");
        Safetensors.write(old, c.tensors(), meta);
        int[] cli = cliSample(old);
        assertEquals(java.util.Arrays.toString(librarySample(old, GaussianDiffusion.of(NoiseSchedule.linear(1000)))),
                java.util.Arrays.toString(cli));
        assertTrue(cli.length > 0);
    }
}
