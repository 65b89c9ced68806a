package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.diffusion.NoiseLevels;
import org.diffusion4j.diffusion.ScoreMatching;
import org.diffusion4j.io.Safetensors;
import org.diffusion4j.nn.UNet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library's trainer trains a noise-conditional score network by denoising score matching
 * with no other change: the loss falls, the checkpoint records the σ sequence and reads back as
 * that score model, a resumed run equals a straight one bit for bit, and a checkpoint of another
 * process (or other levels) is refused.
 */
class ScoreTrainerTest {
    static final ScoreMatching NCSN = new ScoreMatching(NoiseLevels.geometric(8, 0.05, 12));

    @TempDir
    Path dir;

    @Test
    void lossFalls() throws IOException {
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TrainerTest.TINY);
                Trainer trainer = new Trainer(ctx, net, NCSN, TrainerTest.CONFIG)) {
            List<Double> losses = new ArrayList<>();
            trainer.fit(new Patterns(TrainerTest.DATA_SIZE), Fit.steps(160).logEvery(20), p -> losses.add(p.meanLoss()));
            double first = losses.get(0);
            double last = losses.get(losses.size() - 1);
            System.out.printf("tiny U-Net, %s: mean loss steps 1-20 %.4f, steps 141-160 %.4f%n", NCSN, first, last);
            assertTrue(Double.isFinite(last) && last < 0.8 * first, "loss did not fall: " + first + " -> " + last);
        }
    }

    @Test
    void checkpointsRecordTheLevelsAndResumeExactly() throws IOException {
        int k = 5;
        Path straight = dir.resolve("straight.safetensors");
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TrainerTest.TINY);
                Trainer trainer = new Trainer(ctx, net, NCSN, TrainerTest.CONFIG)) {
            trainer.fit(new Patterns(TrainerTest.DATA_SIZE), Fit.steps(2 * k), null);
            trainer.save(straight);
        }
        Checkpoint c = Checkpoint.read(straight);
        assertTrue(c.isScoreModel());
        assertEquals(NCSN, c.scoreMatching());
        assertEquals(NCSN, c.process());
        assertThrows(IllegalStateException.class, c::diffusion);

        Path half = dir.resolve("half.safetensors");
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TrainerTest.TINY);
                Trainer trainer = new Trainer(ctx, net, NCSN, TrainerTest.CONFIG)) {
            trainer.fit(new Patterns(TrainerTest.DATA_SIZE), Fit.steps(k).checkpoint(half, 1000, Map.of()), null);
        }
        Path resumed = dir.resolve("resumed.safetensors");
        try (Context ctx = Context.create(Device.cpu(), 777); UNet net = new UNet(ctx, TrainerTest.TINY);
                Trainer trainer = new Trainer(ctx, net, NCSN, TrainerTest.CONFIG)) {
            trainer.load(half);
            trainer.fit(new Patterns(TrainerTest.DATA_SIZE), Fit.steps(2 * k), null);
            trainer.save(resumed);
        }
        Safetensors.Contents a = Safetensors.read(straight);
        Safetensors.Contents b = Safetensors.read(resumed);
        for (Map.Entry<String, Safetensors.Entry> e : a.tensors().entrySet()) {
            assertArrayEquals(e.getValue().data(), b.tensors().get(e.getKey()).data(), e.getKey() + " differs after resuming");
        }

        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TrainerTest.TINY);
                Trainer other = new Trainer(ctx, net, new ScoreMatching(NoiseLevels.geometric(8, 0.05, 13)),
                        TrainerTest.CONFIG);
                Trainer ddpm = new Trainer(ctx, net, TrainerTest.DIFFUSION, TrainerTest.CONFIG)) {
            IOException e = assertThrows(IOException.class, () -> other.load(half));
            assertTrue(e.getMessage().contains("12 levels"), e.getMessage());
            assertThrows(IOException.class, () -> ddpm.load(half), "a score checkpoint into a diffusion trainer");
        }
    }
}
