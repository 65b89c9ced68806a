package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.Context;
import org.diffusion4j.D4jException;
import org.diffusion4j.Device;
import org.diffusion4j.Precision;
import org.diffusion4j.Status;
import org.diffusion4j.nn.UNet;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** {@link TrainConfig#precision()}: FP32 unless set, applied by the trainer to its context. */
class TrainerPrecisionTest {
    static boolean bf16Build() {
        return Device.cpuIsa().equals("avx512+bf16");
    }

    @Test
    void precisionDefaultsToFp32AndWithPrecisionChangesNothingElse() {
        TrainConfig c = TrainConfig.shortRun().withSeed(7).withAccumulation(2);
        assertEquals(Precision.FP32, c.precision());
        assertEquals(Precision.FP32, TrainConfig.defaults().precision());
        TrainConfig b = c.withPrecision(Precision.BF16);
        assertEquals(Precision.BF16, b.precision());
        assertEquals(c, b.withPrecision(Precision.FP32));
        assertEquals(Precision.BF16, b.withSeed(3).withLr(1e-4f, 10).withCosineDecay(100).precision());
        assertThrows(NullPointerException.class, () -> c.withPrecision(null));
    }

    @Test
    void anFp32TrainerSetsFp32OnItsContext() {
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TrainerTest.TINY)) {
            if (bf16Build()) {
                ctx.setPrecision(Precision.BF16);
            }
            try (Trainer t = new Trainer(ctx, net, TrainerTest.DIFFUSION, TrainerTest.CONFIG)) {
                assertEquals(Precision.FP32, ctx.precision());
            }
        }
    }

    @Test
    void bf16IsRefusedBeforeTrainingWhereItHasNoKernels() {
        Assumptions.assumeTrue(!bf16Build(), "this CPU runs the avx512+bf16 build: BF16 is accepted here");
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TrainerTest.TINY)) {
            TrainConfig bf16 = TrainerTest.CONFIG.withPrecision(Precision.BF16);
            D4jException e = assertThrows(D4jException.class, () -> new Trainer(ctx, net, TrainerTest.DIFFUSION, bf16));
            assertEquals(Status.UNSUPPORTED, e.status());
            assertTrue(e.getMessage().contains(Device.cpuIsa()), e.getMessage());
            assertEquals(Precision.FP32, ctx.precision());
        }
    }

    /** A bf16 run of the tiny U-Net trains: finite losses that fall, as the fp32 run's do (TrainerTest). */
    @Test
    void bf16TrainingRunsOnTheBf16Build() throws java.io.IOException {
        Assumptions.assumeTrue(bf16Build(), "this CPU runs the " + Device.cpuIsa() + " build, which has no bf16 kernels");
        TrainConfig bf16 = TrainerTest.CONFIG.withPrecision(Precision.BF16);
        try (Context ctx = Context.create(Device.cpu()); UNet net = new UNet(ctx, TrainerTest.TINY);
                Trainer trainer = new Trainer(ctx, net, TrainerTest.DIFFUSION, bf16)) {
            assertEquals(Precision.BF16, ctx.precision());
            List<Double> losses = new ArrayList<>();
            trainer.fit(new Patterns(TrainerTest.DATA_SIZE), Fit.steps(160).logEvery(20), p -> losses.add(p.meanLoss()));
            for (double l : losses) {
                assertTrue(Double.isFinite(l), "loss " + l);
            }
            assertTrue(losses.get(losses.size() - 1) < losses.get(0), "bf16 losses " + losses);
        }
    }
}
