package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.diffusion.GaussianLosses;
import org.diffusion4j.eval.VaeBound;
import org.diffusion4j.io.Safetensors;
import org.diffusion4j.nn.Autoencoder;
import org.diffusion4j.nn.AutoencoderConfig;
import org.diffusion4j.ops.LatentSample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The β-VAE trainer on 8×8 patterns: the loss and the held-out reconstruction error fall; the
 * saved autoencoder loads back with its weights (fingerprint equal), its decoder variance and
 * training log, and a file whose weights were edited is refused; the VAE bound in bits/dim equals
 * the ELBO recomputed here in float64 from the same latent samples.
 */
class AutoencoderTrainerTest {
    static final AutoencoderConfig TINY = new AutoencoderConfig(8, 1, 8, new int[] {1, 2}, 1, 2, 4);
    static final ClassifierTrainer.Config CONFIG = new ClassifierTrainer.Config(10, 3e-3f, 0f, 10, 8, 7);

    @TempDir
    Path dir;

    @Test
    void trainsSavesAndLoads() throws IOException {
        Patterns data = new Patterns(60);
        Path file = dir.resolve("ae.safetensors");
        String fingerprint;
        double before;
        AutoencoderTrainer.Summary summary;
        try (Context ctx = Context.create(Device.cpu(), 3); Autoencoder ae = new Autoencoder(ctx, TINY);
                AutoencoderTrainer t = new AutoencoderTrainer(ctx, ae, CONFIG, 1e-2f)) {
            before = AutoencoderTrainer.reconstruction(ctx, ae, data, 60)[0];
            List<Double> losses = new ArrayList<>();
            summary = t.fit(data, data, new AutoencoderTrainer.Listener() {
                @Override
                public void onSteps(long step, long totalSteps, double meanLoss, double seconds) {
                    losses.add(meanLoss);
                }
            });
            AutoencoderTrainer.Epoch last = summary.epochs().get(summary.epochs().size() - 1);
            System.out.printf("tiny autoencoder: reconstruction mse %.4f -> %.4f, KL %.2f nats, losses %s%n", before,
                    last.testMse(), last.testKl(), losses);
            assertEquals(48, t.step(), "8 epochs of 6 steps");
            assertTrue(last.testMse() < 0.5 * before, "reconstruction error " + before + " -> " + last.testMse());
            assertTrue(summary.epochs().get(7).trainLoss() < 0.5 * summary.epochs().get(0).trainLoss(), "loss falls");
            double variance = t.decoderVariance(data, 60);
            assertTrue(variance > 0 && variance < 1, "decoder variance " + variance);
            t.save(file, variance, data.classNames(), "patterns", summary);
            fingerprint = ae.fingerprint();
        }
        try (Context ctx = Context.create(Device.cpu()); Autoencoder ae = Autoencoder.load(ctx, file)) {
            assertEquals(TINY, ae.config());
            assertEquals(fingerprint, ae.fingerprint());
            assertTrue(ae.decoderVariance() > 0);
            assertTrue(ae.metadata().get("train_log").startsWith("epoch 1:"), ae.metadata().get("train_log"));
            assertEquals("0.01", ae.metadata().get("beta"));
        }
        Safetensors.Contents c = Safetensors.read(file);
        Map<String, Safetensors.Entry> edited = new java.util.LinkedHashMap<>(c.tensors());
        String key = edited.keySet().iterator().next();
        float[] v = edited.get(key).data().clone();
        v[0] += 1f;
        edited.put(key, new Safetensors.Entry(edited.get(key).shape(), v));
        Path bad = dir.resolve("edited.safetensors");
        Safetensors.write(bad, edited, c.metadata());
        try (Context ctx = Context.create(Device.cpu())) {
            IOException e = assertThrows(IOException.class, () -> Autoencoder.load(ctx, bad));
            assertTrue(e.getMessage().contains("fingerprint"), e.getMessage());
        }
    }

    @Test
    void theBoundIsTheElboOfItsLatentSamples() throws IOException {
        Patterns data = new Patterns(12);
        Path file = dir.resolve("ae.safetensors");
        try (Context ctx = Context.create(Device.cpu(), 5); Autoencoder ae = new Autoencoder(ctx, TINY)) {
            ae.save(file, 0.05, Map.of());
        }
        float[][] images = new float[12][];
        for (int i = 0; i < images.length; i++) {
            images[i] = data.image(i);
        }
        try (Context ctx = Context.create(Device.cpu()); Autoencoder ae = Autoencoder.load(ctx, file)) {
            long offset = ctx.rngOffset();
            VaeBound.Result r = VaeBound.bitsPerDim(ctx, ae, images, new int[] {8, 8, 1}, 5, 42);
            assertEquals(offset, ctx.rngOffset(), "the caller's stream is untouched");
            // the same z: the bound draws them from stream (42, 0), a batch of 5 at a time
            ctx.setRng(42, 0);
            double sum = 0;
            for (int first = 0; first < 12; first += 5) {
                int n = Math.min(5, 12 - first);
                float[] x = new float[n * 64];
                for (int i = 0; i < n; i++) {
                    System.arraycopy(images[first + i], 0, x, i * 64, 64);
                }
                try (Tensor tx = Tensor.of(ctx, x, n, 8, 8, 1); Tensor z = Tensor.empty(ctx, TINY.latentShape(n));
                        Tensor eps = Tensor.empty(ctx, TINY.latentShape(n))) {
                    float[] m = ae.encoder().forward(ctx, tx).toArray();
                    LatentSample.forward(ctx, z, eps, ae.encoder().forward(ctx, tx));
                    float[] xHat = ae.decode(ctx, z).toArray();
                    double nll = 0;
                    for (int e = 0; e < x.length; e++) {
                        nll -= GaussianLosses.discretizedLogLikelihood(x[e], xHat[e], 0.5 * Math.log(0.05));
                    }
                    double kl = 0;
                    for (int p = 0; p < m.length; p += 4) { // 2 means, 2 log-variances per position
                        for (int j = 0; j < 2; j++) {
                            kl += 0.5 * ((double) m[p + j] * m[p + j] + Math.exp(m[p + 2 + j]) - 1 - m[p + 2 + j]);
                        }
                    }
                    sum += (nll + kl) / (64 * Math.log(2));
                }
            }
            assertEquals(sum / 12, r.bitsPerDim(), 1e-6 * Math.abs(sum / 12));
            assertEquals(r.bitsPerDim(), r.reconstructionBpd() + r.klBpd(), 1e-9);
            assertTrue(r.standardError() > 0);
            VaeBound.Result other = VaeBound.bitsPerDim(ctx, ae, images, new int[] {8, 8, 1}, 5, 43);
            assertNotEquals(r.bitsPerDim(), other.bitsPerDim(), "another seed draws other latents");
        }
    }

    @Test
    void badSettingsAreRefused() {
        try (Context ctx = Context.create(Device.cpu()); Autoencoder ae = new Autoencoder(ctx, TINY)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new AutoencoderTrainer(ctx, ae, CONFIG, -1f));
            assertTrue(e.getMessage().contains("-1.0"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> ae.save(dir.resolve("x"), 0, Map.of()));
            assertTrue(e.getMessage().contains("0.0"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> VaeBound.bitsPerDim(ctx, ae, new float[][] {new float[64], new float[64]}, new int[] {8, 8, 1}, 2, 0));
            assertTrue(e.getMessage().contains("decoder variance"), e.getMessage());
        }
    }
}
