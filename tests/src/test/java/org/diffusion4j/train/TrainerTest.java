package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.nn.Param;
import org.diffusion4j.nn.UNet;
import org.diffusion4j.nn.UNetConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    static final UNetConfig TINY = new UNetConfig(8, 1, 8, new int[] {1, 2}, 1, new int[] {4}, 2, 2, 0.1f, 3, 16);
    static final TrainConfig CONFIG = new TrainConfig(8, 2e-3f, 5, 0.01f, 1f, 0.99f, 0.1f, 42L);

    @TempDir
    Path dir;

    /** Three 8×8 patterns, one per class, in [−1, 1]. */
    static float[] batch(int[] labels) {
        float[] x = new float[labels.length * 64];
        for (int n = 0; n < labels.length; n++) {
            for (int i = 0; i < 8; i++) {
                for (int j = 0; j < 8; j++) {
                    boolean on = switch (labels[n]) {
                        case 0 -> i < 4;
                        case 1 -> j < 4;
                        default -> (i + j) % 2 == 0;
                    };
                    x[n * 64 + i * 8 + j] = on ? 0.9f : -0.9f;
                }
            }
        }
        return x;
    }

    static final int[] LABELS = {0, 1, 2, 0, 1, 2, 0, 1};

    private static float[] train(Context ctx, Trainer trainer, int steps) {
        float last = 0;
        try (Tensor x0 = Tensor.of(ctx, batch(LABELS), 8, 8, 8, 1)) {
            for (int s = 0; s < steps; s++) {
                last = trainer.trainStep(x0, LABELS);
            }
        }
        return new float[] {last};
    }

    @Test
    void lossFalls() {
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TINY);
                Trainer trainer = new Trainer(ctx, net, NoiseSchedule.linear(100), CONFIG);
                Tensor x0 = Tensor.of(ctx, batch(LABELS), 8, 8, 8, 1)) {
            double first = 0;
            double late = 0;
            for (int s = 0; s < 120; s++) {
                float l = trainer.trainStep(x0, LABELS);
                assertTrue(Float.isFinite(l), "loss at step " + s + " is " + l);
                if (s < 20) {
                    first += l / 20;
                } else if (s >= 100) {
                    late += l / 20;
                }
            }
            System.out.printf("tiny U-Net: mean loss steps 0-19 %.4f, steps 100-119 %.4f%n", first, late);
            assertTrue(late < 0.8 * first, "loss did not fall: " + first + " -> " + late);
            assertEquals(120, trainer.step());
        }
    }

    /** 2k steps straight equal k steps, save, a fresh model and trainer loading, k more — bit for bit. */
    @Test
    void resumeIsExact() throws IOException {
        int k = 6;
        float[][] straight;
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TINY);
                Trainer trainer = new Trainer(ctx, net, NoiseSchedule.linear(100), CONFIG)) {
            train(ctx, trainer, 2 * k);
            straight = weights(net, trainer);
        }
        Path ckpt = dir.resolve("ckpt.safetensors");
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TINY);
                Trainer trainer = new Trainer(ctx, net, NoiseSchedule.linear(100), CONFIG)) {
            train(ctx, trainer, k);
            trainer.save(ckpt);
        }
        float[][] resumed;
        try (Context ctx = Context.create(Device.cpu(), 999); UNet net = new UNet(ctx, TINY); // other init, other RNG
                Trainer trainer = new Trainer(ctx, net, NoiseSchedule.linear(100), CONFIG)) {
            trainer.load(ckpt);
            assertEquals(k, trainer.step());
            train(ctx, trainer, k);
            resumed = weights(net, trainer);
        }
        for (int i = 0; i < straight.length; i++) {
            assertArrayEquals(straight[i], resumed[i], "tensor " + i + " differs after resuming");
        }
    }

    private static float[][] weights(UNet net, Trainer trainer) {
        List<Param> ps = net.parameters();
        float[][] w = new float[2 * ps.size()][];
        for (int i = 0; i < ps.size(); i++) {
            w[i] = ps.get(i).value().toArray();
            w[ps.size() + i] = trainer.emaWeights().get(i).toArray();
        }
        return w;
    }

    @Test
    void corruptOrForeignCheckpointsAreRefused() throws IOException {
        Path ckpt = dir.resolve("ckpt.safetensors");
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TINY);
                Trainer trainer = new Trainer(ctx, net, NoiseSchedule.linear(100), CONFIG)) {
            train(ctx, trainer, 1);
            trainer.save(ckpt);
            byte[] bytes = Files.readAllBytes(ckpt);
            Path cut = dir.resolve("cut.safetensors");
            Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length / 2));
            IOException e = assertThrows(IOException.class, () -> trainer.load(cut));
            assertTrue(e.getMessage().contains("cut.safetensors"), e.getMessage());
        }
        UNetConfig other = new UNetConfig(8, 1, 8, new int[] {1, 2}, 1, new int[] {}, 2, 2, 0.1f, 3, 16);
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, other);
                Trainer trainer = new Trainer(ctx, net, NoiseSchedule.linear(100), CONFIG)) {
            IOException e = assertThrows(IOException.class, () -> trainer.load(ckpt));
            assertTrue(e.getMessage().contains("does not fit"), e.getMessage());
        }
    }

    /** A checkpoint carries its configuration and class names; its EMA and raw weights load into a model built from it. */
    @Test
    void checkpointRebuildsTheModel() throws IOException {
        Path ckpt = dir.resolve("ckpt.safetensors");
        float[] ema0;
        float[] raw0;
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TINY);
                Trainer trainer = new Trainer(ctx, net, NoiseSchedule.linear(100), CONFIG)) {
            train(ctx, trainer, 3);
            trainer.save(ckpt, java.util.Map.of(Checkpoint.CLASS_NAMES, "a\nb\nc"));
            ema0 = trainer.emaWeights().get(0).toArray();
            raw0 = net.parameters().get(0).value().toArray();
            assertThrows(IllegalArgumentException.class, () -> trainer.save(dir.resolve("x"), java.util.Map.of("step", "9")));
        }
        Checkpoint c = Checkpoint.read(ckpt);
        assertEquals(TINY.toString(), c.config().toString());
        assertEquals(3, c.step());
        assertEquals(100, c.timesteps());
        assertEquals(java.util.List.of("a", "b", "c"), c.classNames());
        assertFalse(java.util.Arrays.equals(ema0, raw0), "EMA and raw weights differ after 3 steps");
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, c.config().withDropout(0f))) {
            c.loadWeights(net, true);
            assertArrayEquals(ema0, net.parameters().get(0).value().toArray());
            c.loadWeights(net, false);
            assertArrayEquals(raw0, net.parameters().get(0).value().toArray());
        }
        UNetConfig other = new UNetConfig(8, 1, 8, new int[] {1, 2}, 1, new int[] {}, 2, 2, 0.1f, 3, 16);
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, other)) {
            IOException e = assertThrows(IOException.class, () -> c.loadWeights(net, true));
            assertTrue(e.getMessage().contains("does not fit"), e.getMessage());
        }
    }

    /** EMA decay warms up as min(decay, (1 + k)/(10 + k)). */
    @Test
    void emaDecayWarmsUp() {
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TINY);
                Trainer trainer = new Trainer(ctx, net, NoiseSchedule.linear(100), CONFIG)) {
            assertEquals(0.1f, trainer.emaDecay());
            train(ctx, trainer, 2);
            assertEquals((float) Math.min(CONFIG.emaDecay(), 3.0 / 12.0), trainer.emaDecay());
        }
    }
}
