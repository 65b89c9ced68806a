package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.diffusion.DdimSampler;
import org.diffusion4j.diffusion.GaussianDiffusion;
import org.diffusion4j.diffusion.LossType;
import org.diffusion4j.diffusion.ModelOutput;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.diffusion.VarianceType;
import org.diffusion4j.io.Safetensors;
import org.diffusion4j.nn.UNet;
import org.diffusion4j.nn.UNetConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TrainerTest {
    static final UNetConfig TINY = new UNetConfig(8, 1, 8, new int[] {1, 2}, 1, new int[] {4}, 2, 2, 0.1f, 3, 16);
    static final TrainConfig CONFIG = new TrainConfig(8, 2e-3f, 5, 0.01f, 1f, 0.99f, 0.1f, 42L);
    static final GaussianDiffusion DIFFUSION = GaussianDiffusion.of(NoiseSchedule.linear(100));
    static final int DATA_SIZE = 20;

    @TempDir
    Path dir;

    /** Mean loss over the first and last 20 of 160 steps, read every step. */
    static double[] lossCurve(GaussianDiffusion d) throws IOException {
        UNetConfig config = TINY.withLearnedVariance(d.variance() == VarianceType.LEARNED_RANGE);
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, config);
                Trainer trainer = new Trainer(ctx, net, d, CONFIG)) {
            List<Double> losses = new ArrayList<>();
            trainer.fit(new Patterns(DATA_SIZE), Fit.steps(160).logEvery(20), p -> losses.add(p.meanLoss()));
            assertEquals(160, trainer.step());
            assertEquals(8, losses.size());
            for (double l : losses) {
                assertTrue(Double.isFinite(l), "loss " + l);
            }
            return new double[] {losses.get(0), losses.get(losses.size() - 1)};
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"epsilon, simple", "x0, simple", "v, simple", "epsilon, min_snr", "v, min_snr", "epsilon, hybrid",
        "v, hybrid"})
    void lossFallsForEveryParameterisation(String output, String loss) throws IOException {
        GaussianDiffusion d = DIFFUSION.withOutput(ModelOutput.ofId(output)).withLoss(LossType.ofId(loss));
        if (d.loss() == LossType.HYBRID) {
            d = d.withVariance(VarianceType.LEARNED_RANGE);
        }
        double[] l = lossCurve(d);
        System.out.printf("tiny U-Net, %s: mean loss steps 1-20 %.4f, steps 141-160 %.4f%n", d, l[0], l[1]);
        assertTrue(l[1] < 0.8 * l[0], d + ": loss did not fall: " + l[0] + " -> " + l[1]);
    }

    private static float[][] weights(Path ckpt) throws IOException {
        Safetensors.Contents c = Safetensors.read(ckpt);
        List<float[]> w = new ArrayList<>();
        for (Map.Entry<String, Safetensors.Entry> e : c.tensors().entrySet()) {
            w.add(e.getValue().data());
        }
        return w.toArray(new float[0][]);
    }

    /**
     * 2k + 3 steps straight equal k steps, save, a fresh JVM loading into a new model and trainer
     * (other initial weights, other context RNG), k + 3 more — every tensor bit for bit, the data
     * order crossing epoch boundaries included (20 images, batch 8).
     */
    @Test
    void resumeInAFreshProcessIsExact() throws Exception {
        int k = 6;
        long total = 2L * k + 3;
        Path straight = dir.resolve("straight.safetensors");
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TINY);
                Trainer trainer = new Trainer(ctx, net, DIFFUSION, CONFIG)) {
            trainer.fit(new Patterns(DATA_SIZE), Fit.steps(total), null);
            trainer.save(straight);
        }
        Path half = dir.resolve("half.safetensors");
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TINY);
                Trainer trainer = new Trainer(ctx, net, DIFFUSION, CONFIG)) {
            trainer.fit(new Patterns(DATA_SIZE), Fit.steps(k).checkpoint(half, 1000, Map.of()), null);
        }
        Path resumed = dir.resolve("resumed.safetensors");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), ResumeChild.class.getName(), half.toString(), Long.toString(total),
                resumed.toString()).inheritIO().start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child JVM did not finish");
        assertEquals(0, p.exitValue(), "the child JVM failed");
        float[][] a = weights(straight);
        float[][] b = weights(resumed);
        assertEquals(a.length, b.length);
        for (int i = 0; i < a.length; i++) {
            assertArrayEquals(a[i], b[i], "tensor " + i + " differs after resuming");
        }
        assertEquals(Safetensors.read(straight).metadata().get("rng_offset"), Safetensors.read(resumed).metadata()
                .get("rng_offset"));
    }

    /** Each epoch visits every image once, in an order that changes from epoch to epoch. */
    @Test
    void dataOrderIsAPermutationPerEpoch() {
        DataOrder order = new DataOrder(7, 50);
        List<Integer> first = new ArrayList<>();
        for (int epoch = 0; epoch < 3; epoch++) {
            Set<Integer> seen = new HashSet<>();
            List<Integer> this_ = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                int idx = order.index(epoch * 50L + i);
                assertTrue(seen.add(idx), "index " + idx + " twice in epoch " + epoch);
                this_.add(idx);
            }
            if (epoch == 0) {
                first = this_;
            } else {
                assertFalse(first.equals(this_), "epoch " + epoch + " repeats epoch 0's order");
            }
        }
        assertEquals(new DataOrder(7, 50).index(123), order.index(123), "a function of (seed, k)");
    }

    /** Sampling on the training context between steps leaves the training trajectory unchanged. */
    @Test
    void aSamplingPreviewDoesNotMoveTheTrainingStreams() throws IOException {
        Path plain = dir.resolve("plain.safetensors");
        Path previewed = dir.resolve("previewed.safetensors");
        for (boolean preview : new boolean[] {false, true}) {
            try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TINY);
                    Trainer trainer = new Trainer(ctx, net, DIFFUSION, CONFIG)) {
                trainer.fit(new Patterns(DATA_SIZE), Fit.steps(4), null);
                if (preview) {
                    DdimSampler s = new DdimSampler(DIFFUSION, 5, 1.0, org.diffusion4j.diffusion.Spacing.TRAILING, 2.0, true);
                    s.sample(ctx, net, new int[] {3, 8, 8, 1}, new int[] {0, 1, 2}, 9, null).close();
                }
                trainer.fit(new Patterns(DATA_SIZE), Fit.steps(8), null);
                trainer.save(preview ? previewed : plain);
            }
        }
        float[][] a = weights(plain);
        float[][] b = weights(previewed);
        for (int i = 0; i < a.length; i++) {
            assertArrayEquals(a[i], b[i], "tensor " + i);
        }
    }

    /** A checkpoint with one bad tensor (the last in order) is refused before anything is overwritten. */
    @Test
    void aBadCheckpointLeavesTheTrainerAsItWas() throws IOException {
        Path good = dir.resolve("good.safetensors");
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TINY);
                Trainer trainer = new Trainer(ctx, net, DIFFUSION, CONFIG)) {
            trainer.fit(new Patterns(DATA_SIZE), Fit.steps(3), null);
            trainer.save(good);
        }
        Safetensors.Contents c = Safetensors.read(good);
        Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>(c.tensors());
        String last = null;
        for (String key : tensors.keySet()) {
            if (key.startsWith("adam_v.")) {
                last = key;
            }
        }
        Safetensors.Entry e = tensors.get(last);
        tensors.put(last, new Safetensors.Entry(new long[] {e.data().length + 1}, java.util.Arrays.copyOf(e.data(),
                e.data().length + 1)));
        Path bad = dir.resolve("bad.safetensors");
        Safetensors.write(bad, tensors, c.metadata());
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TINY);
                Trainer trainer = new Trainer(ctx, net, DIFFUSION, CONFIG)) {
            float[] before = net.parameters().get(0).value().toArray();
            float[] emaBefore = trainer.emaWeights().get(0).toArray();
            IOException ex = assertThrows(IOException.class, () -> trainer.load(bad));
            assertTrue(ex.getMessage().contains(last) && ex.getMessage().contains("bad.safetensors"), ex.getMessage());
            assertArrayEquals(before, net.parameters().get(0).value().toArray(), "weights overwritten by a bad load");
            assertArrayEquals(emaBefore, trainer.emaWeights().get(0).toArray(), "EMA overwritten by a bad load");
            assertEquals(0, trainer.step());
        }
    }

    @Test
    void foreignCheckpointsAreRefused() throws IOException {
        Path ckpt = dir.resolve("ckpt.safetensors");
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TINY);
                Trainer trainer = new Trainer(ctx, net, DIFFUSION, CONFIG)) {
            trainer.fit(new Patterns(DATA_SIZE), Fit.steps(1), null);
            trainer.save(ckpt);
            byte[] bytes = Files.readAllBytes(ckpt);
            Path cut = dir.resolve("cut.safetensors");
            Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length / 2));
            IOException e = assertThrows(IOException.class, () -> trainer.load(cut));
            assertTrue(e.getMessage().contains("cut.safetensors"), e.getMessage());
        }
        UNetConfig other = new UNetConfig(8, 1, 8, new int[] {1, 2}, 1, new int[] {}, 2, 2, 0.1f, 3, 16);
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, other);
                Trainer trainer = new Trainer(ctx, net, DIFFUSION, CONFIG)) {
            IOException e = assertThrows(IOException.class, () -> trainer.load(ckpt));
            assertTrue(e.getMessage().contains("does not fit"), e.getMessage());
        }
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TINY);
                Trainer trainer = new Trainer(ctx, net, DIFFUSION.withOutput(ModelOutput.V), CONFIG)) {
            IOException e = assertThrows(IOException.class, () -> trainer.load(ckpt));
            assertTrue(e.getMessage().contains("trained with GaussianDiffusion"), e.getMessage());
        }
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TINY);
                Trainer trainer = new Trainer(ctx, net, DIFFUSION, CONFIG.withSeed(7))) {
            IOException e = assertThrows(IOException.class, () -> trainer.load(ckpt));
            assertTrue(e.getMessage().contains("seed 42"), e.getMessage());
        }
    }

    /** A checkpoint carries its configuration, process and class names; its EMA and raw weights load into a model built from it. */
    @Test
    void checkpointRebuildsTheModelAndTheProcess() throws IOException {
        Path ckpt = dir.resolve("ckpt.safetensors");
        float[] ema0;
        float[] raw0;
        GaussianDiffusion d = GaussianDiffusion.of(NoiseSchedule.cosine(100)).withOutput(ModelOutput.V);
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TINY);
                Trainer trainer = new Trainer(ctx, net, d, CONFIG)) {
            trainer.fit(new Patterns(DATA_SIZE), Fit.steps(3).checkpoint(ckpt, 100, Map.of(Checkpoint.CLASS_NAMES,
                    "a\nb\nc")), null);
            ema0 = trainer.emaWeights().get(0).toArray();
            raw0 = net.parameters().get(0).value().toArray();
            assertThrows(IllegalArgumentException.class, () -> trainer.save(dir.resolve("x"), Map.of("step", "9")));
        }
        Checkpoint c = Checkpoint.read(ckpt);
        assertEquals(TINY.toString(), c.config().toString());
        assertEquals(3, c.step());
        assertEquals(d, c.diffusion());
        assertEquals(List.of("a", "b", "c"), c.classNames());
        assertFalse(java.util.Arrays.equals(ema0, raw0), "EMA and raw weights differ after 3 steps");
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, c.config().withDropout(0f))) {
            c.loadWeights(net, true);
            assertArrayEquals(ema0, net.parameters().get(0).value().toArray());
            c.loadWeights(net, false);
            assertArrayEquals(raw0, net.parameters().get(0).value().toArray());
        }
    }

    /** A format-2 checkpoint (no diffusion.* keys) reads as linear, ε, β̃; resuming it is refused clearly. */
    @Test
    void formatTwoCheckpointsStillSample() throws IOException {
        Path ckpt = dir.resolve("ckpt.safetensors");
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TINY);
                Trainer trainer = new Trainer(ctx, net, DIFFUSION, CONFIG)) {
            trainer.save(ckpt);
        }
        Safetensors.Contents c = Safetensors.read(ckpt);
        Map<String, String> meta = new LinkedHashMap<>(c.metadata());
        meta.keySet().removeIf(key -> key.startsWith("diffusion.") || key.equals("seed"));
        meta.put("format_version", "2");
        meta.put("timesteps", "100");
        Path old = dir.resolve("old.safetensors");
        Safetensors.write(old, c.tensors(), meta);
        Checkpoint read = Checkpoint.read(old);
        assertEquals(GaussianDiffusion.of(NoiseSchedule.linear(100)), read.diffusion());
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TINY);
                Trainer trainer = new Trainer(ctx, net, DIFFUSION, CONFIG)) {
            IOException e = assertThrows(IOException.class, () -> trainer.load(old));
            assertTrue(e.getMessage().contains("format-2"), e.getMessage());
            read.loadWeights(net, true);
            DdimSampler.of(read.diffusion(), 4).sample(ctx, net, new int[] {2, 8, 8, 1}, new int[] {0, 1}, 1, null).close();
        }
        meta.put("format_version", "9");
        Path future = dir.resolve("future.safetensors");
        Safetensors.write(future, c.tensors(), meta);
        IOException e = assertThrows(IOException.class, () -> Checkpoint.read(future));
        assertTrue(e.getMessage().contains("format version 9"), e.getMessage());
    }

    /** Accumulation steps the optimizer once per A micro-batches; the learning rate warms up and decays. */
    @Test
    void accumulationAndLearningRateSchedule() {
        TrainConfig acc = CONFIG.withAccumulation(3).withCosineDecay(20);
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TINY);
                Trainer trainer = new Trainer(ctx, net, DIFFUSION, acc);
                Tensor x0 = Tensor.of(ctx, new Patterns(8).image(0), 1, 8, 8, 1)) {
            trainer.trainStep(x0, new int[] {0});
            trainer.trainStep(x0, new int[] {0});
            assertEquals(0, trainer.step(), "two of three micro-batches");
            trainer.trainStep(x0, new int[] {0});
            assertEquals(1, trainer.step());
            assertTrue(Float.isFinite(trainer.lastLoss()));
        }
        assertEquals(CONFIG.lr() / 5, acc.learningRate(0), 1e-9);
        assertEquals(CONFIG.lr() * 0.5 * (1 + Math.cos(Math.PI * 10 / 20)), acc.learningRate(10), 1e-7);
        assertEquals(0f, acc.learningRate(25), 1e-12);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CONFIG.withAccumulation(0));
        assertTrue(e.getMessage().contains("accumulation is 0"), e.getMessage());
    }

    /** The stopping rules: a listener's veto, a time budget; the summary counts this run's steps. */
    @Test
    void fitStopsWhenTold() throws IOException {
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TINY);
                Trainer trainer = new Trainer(ctx, net, DIFFUSION, CONFIG)) {
            TrainSummary s = trainer.fit(new Patterns(DATA_SIZE), Fit.steps(1000).logEvery(2), p -> p.step() < 6);
            assertEquals(6, s.step());
            List<TrainProgress> seen = new ArrayList<>();
            s = trainer.fit(new Patterns(DATA_SIZE), Fit.time(Duration.ofMillis(300)).logEvery(1), seen::add);
            assertTrue(s.runSteps() >= 1 && s.seconds() < 30, s.toString());
            TrainProgress last = seen.get(seen.size() - 1);
            assertEquals(s.step(), last.step());
            assertTrue(last.fractionDone() > 0 && last.fractionDone() <= 1, last.toString());
        }
        assertThrows(IllegalArgumentException.class, () -> new Fit(Long.MAX_VALUE, null, 1, null, 1, Map.of()));
    }

    /** EMA decay warms up as min(decay, (1 + k)/(10 + k)). */
    @Test
    void emaDecayWarmsUp() throws IOException {
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TINY);
                Trainer trainer = new Trainer(ctx, net, DIFFUSION, CONFIG)) {
            assertEquals(0.1f, trainer.emaDecay());
            trainer.fit(new Patterns(DATA_SIZE), Fit.steps(2), null);
            assertEquals((float) Math.min(CONFIG.emaDecay(), 3.0 / 12.0), trainer.emaDecay());
        }
    }

    /** Learned variance, the hybrid loss and the network's variance channels go together, or the trainer refuses. */
    @Test
    void mismatchedVarianceSettingsAreRefusedUpFront() {
        GaussianDiffusion learned = DIFFUSION.withVariance(VarianceType.LEARNED_RANGE).withLoss(LossType.HYBRID);
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TINY);
                UNet wide = new UNet(ctx, TINY.withLearnedVariance(true))) {
            String[] messages = {
                assertThrows(IllegalArgumentException.class, () -> new Trainer(ctx, net, DIFFUSION.withLoss(LossType.HYBRID),
                        CONFIG)).getMessage(),
                assertThrows(IllegalArgumentException.class, () -> new Trainer(ctx, wide,
                        DIFFUSION.withVariance(VarianceType.LEARNED_RANGE), CONFIG)).getMessage(),
                assertThrows(IllegalArgumentException.class, () -> new Trainer(ctx, net, learned, CONFIG)).getMessage(),
                assertThrows(IllegalArgumentException.class, () -> new Trainer(ctx, wide, DIFFUSION, CONFIG)).getMessage()};
            assertTrue(messages[0].contains("hybrid loss trains a learned variance"), messages[0]);
            assertTrue(messages[1].contains("trains with the hybrid loss"), messages[1]);
            assertTrue(messages[2].contains("2C output channels"), messages[2]);
            assertTrue(messages[3].contains("outputs a variance"), messages[3]);
        }
    }

    /** A learned-variance checkpoint records the network's variance channels and the process, and samples. */
    @Test
    void learnedVarianceCheckpointsRoundTripAndSample() throws IOException {
        Path ckpt = dir.resolve("learned.safetensors");
        GaussianDiffusion d = GaussianDiffusion.of(NoiseSchedule.cosine(100)).withVariance(VarianceType.LEARNED_RANGE)
                .withLoss(LossType.HYBRID);
        UNetConfig config = TINY.withLearnedVariance(true);
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, config);
                Trainer trainer = new Trainer(ctx, net, d, CONFIG)) {
            trainer.fit(new Patterns(DATA_SIZE), Fit.steps(3).checkpoint(ckpt, 100, Map.of()), null);
        }
        Checkpoint c = Checkpoint.read(ckpt);
        assertTrue(c.config().learnVariance());
        assertEquals(2, c.config().outChannels());
        assertEquals(d, c.diffusion());
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, c.config().withDropout(0f))) {
            c.loadWeights(net, true);
            org.diffusion4j.diffusion.Sampler s = new org.diffusion4j.diffusion.DdpmSampler(c.diffusion(), 10,
                    org.diffusion4j.diffusion.Spacing.LINSPACE, 0, true);
            try (Tensor x = s.sample(ctx, net, new int[] {2, 8, 8, 1}, new int[] {0, 1}, 5L, null)) {
                assertArrayEquals(new int[] {2, 8, 8, 1}, x.shape());
                for (float v : x.toArray()) {
                    assertTrue(Float.isFinite(v), "sample value " + v);
                }
            }
        }
    }

    /** Initial weights come from their own key of the seed and leave the context's stream where it was. */
    @Test
    void weightInitialisationHasItsOwnStream() {
        try (Context ctx = Context.create(Device.cpu(), 3)) {
            ctx.setRng(3, 17);
            float[] a;
            float[] b;
            float[] c;
            try (UNet net = new UNet(ctx, TINY, 5)) {
                a = net.parameters().get(0).value().toArray();
            }
            assertEquals(3, ctx.seed());
            assertEquals(17, ctx.rngOffset(), "building a model must not move the context's stream");
            try (UNet net = new UNet(ctx, TINY, 5)) {
                b = net.parameters().get(0).value().toArray();
            }
            try (UNet net = new UNet(ctx, TINY, 6)) {
                c = net.parameters().get(0).value().toArray();
            }
            assertArrayEquals(a, b, "same seed, same weights");
            assertFalse(java.util.Arrays.equals(a, c), "another seed, other weights");
            // the trainer's noise stream is another key of the same seed
            try (UNet net = new UNet(ctx, TINY, 42); Trainer t = new Trainer(ctx, net, DIFFUSION, CONFIG)) {
                assertEquals(org.diffusion4j.Seeds.derive(42, org.diffusion4j.Seeds.Purpose.TRAINING_NOISE), ctx.seed());
                assertFalse(ctx.seed() == org.diffusion4j.Seeds.derive(42, org.diffusion4j.Seeds.Purpose.WEIGHT_INIT));
            }
        }
    }
}
