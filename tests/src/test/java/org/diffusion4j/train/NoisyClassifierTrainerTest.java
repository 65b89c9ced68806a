package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

/**
 * The noisy classifier's trainer: it learns three patterns under noise (clean accuracy high,
 * accuracy falling towards chance as t grows), the same seed gives the same weights, a save and
 * load round trip keeps weights and schedule, and bad inputs are refused.
 */
class NoisyClassifierTrainerTest {
    static final UNetConfig CONFIG = UNetConfig.small(8, 1, 3, 8).withDropout(0f);
    static final GaussianDiffusion DIFFUSION = GaussianDiffusion.of(NoiseSchedule.linear(100));
    // 20 epochs: after 10 (loss ~0.9 of ln 3 = 1.10) the clean accuracy depended on the last ulp of
    // SiLU (1.0, 0.85 and 0.67 for three GroupNorm+SiLU kernels within 4 ulp of each other); after
    // 20 all three gave 1.0, so the 0.9 bound tests learning, not rounding
    static final ClassifierTrainer.Config RUN = new ClassifierTrainer.Config(16, 3e-3f, 0.01f, 5, 20, 7);

    @TempDir
    Path dir;

    private static float[] train(Context ctx, NoisyClassifier net, List<NoisyClassifierTrainer.Epoch> log) {
        try (NoisyClassifierTrainer trainer = new NoisyClassifierTrainer(ctx, net, DIFFUSION, RUN)) {
            log.addAll(trainer.fit(new Patterns(192), new Patterns(96), 96, null, null));
        }
        return net.parameters().get(0).value().toArray();
    }

    @Test
    void learnsUnderNoiseDeterministicallyAndRoundTrips() throws Exception {
        try (Context ctx = Context.create(Device.cpu(), 1); NoisyClassifier net = new NoisyClassifier(ctx, CONFIG, 7);
                Context ctx2 = Context.create(Device.cpu(), 1); NoisyClassifier again = new NoisyClassifier(ctx2, CONFIG, 7)) {
            List<NoisyClassifierTrainer.Epoch> log = new java.util.ArrayList<>();
            float[] w = train(ctx, net, log);
            NoisyClassifierTrainer.Epoch last = log.get(log.size() - 1);
            System.out.println("noisy classifier on patterns: t " + java.util.Arrays.toString(last.timesteps()) + " accuracy "
                    + java.util.Arrays.toString(last.testAccuracy()) + ", losses " + log.stream().map(e -> String.format("%.3f",
                    e.trainLoss())).toList());
            assertTrue(log.get(9).trainLoss() < log.get(0).trainLoss(), "the loss falls");
            assertTrue(last.testAccuracy()[0] > 0.9, "clean accuracy " + last.testAccuracy()[0]);
            assertTrue(last.testAccuracy()[4] < last.testAccuracy()[0], "noise at t = T − 1 costs accuracy");
            assertArrayEquals(w, train(ctx2, again, new java.util.ArrayList<>()), "the same seed, the same weights");
            Path file = dir.resolve("c.safetensors");
            net.save(file, DIFFUSION, Map.of("note", "x"));
            try (NoisyClassifier.Loaded l = NoisyClassifier.load(ctx, file)) {
                assertEquals(DIFFUSION.schedule(), l.diffusion().schedule());
                assertEquals("x", l.metadata().get("note"));
                for (int i = 0; i < net.parameters().size(); i++) {
                    Param p = net.parameters().get(i);
                    assertArrayEquals(p.value().toArray(), l.classifier().parameters().get(i).value().toArray(), p.name());
                }
            }
        }
    }

    @Test
    void refusesFrozenNetworksWrongDataAndTimesteps() {
        try (Context ctx = Context.create(Device.cpu(), 1); NoisyClassifier net = new NoisyClassifier(ctx, CONFIG, 0)) {
            net.setFrozen(true);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new NoisyClassifierTrainer(ctx, net, DIFFUSION, RUN));
            assertTrue(e.getMessage().contains("frozen"), e.getMessage());
            net.setFrozen(false);
            NoisyClassifier wrong = new NoisyClassifier(ctx, UNetConfig.small(8, 1, 4, 8), 0);
            try (wrong; NoisyClassifierTrainer t = new NoisyClassifierTrainer(ctx, wrong, DIFFUSION, RUN)) {
                e = assertThrows(IllegalArgumentException.class, () -> t.fit(new Patterns(32), new Patterns(32), 8, null, null));
                assertTrue(e.getMessage().contains("3 classes but the classifier 4"), e.getMessage());
            }
            e = assertThrows(IllegalArgumentException.class,
                    () -> NoisyClassifierTrainer.accuracyAt(ctx, net, DIFFUSION, new Patterns(8), 8, 100, 0));
            assertTrue(e.getMessage().contains("t is 100"), e.getMessage());
        }
    }
}
