package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.nn.UNet;
import org.diffusion4j.nn.UNetConfig;
import org.diffusion4j.testing.TestNets;
import org.junit.jupiter.api.Test;

/**
 * Every guided sampler (DDIM and DDPM steps, annealed Langevin, predictor–corrector) gives the
 * same samples, to the bit, when the U-Net evaluates its conditional and unconditional outputs
 * as one batch of 2N ({@link UNet#predictGuided}) as with the two N-batch passes the
 * {@link Denoiser} default makes (the same network behind a Denoiser that only has predict).
 * Each guided step makes exactly one guided call.
 */
class GuidedBatchSamplingTest {
    static final UNetConfig TINY = new UNetConfig(8, 1, 8, new int[] {1, 2}, 1, new int[] {4}, 2, 2, 0f, 3, 16);
    static final int[] SHAPE = {3, 8, 8, 1};
    static final int[] LABELS = {0, 2, 1};

    interface Draw {
        Tensor sample(Context ctx, Denoiser model);
    }

    /** Samples with the U-Net itself and with a predict-only view of it; counts the 2N calls. */
    private static void sameSamples(String name, Draw draw, int guidedCalls) {
        try (Context ctx = Context.create(Device.cpu()); UNet net = TestNets.randomNet(ctx, TINY)) {
            Denoiser twoPasses = net::predict;
            AtomicInteger calls = new AtomicInteger();
            Denoiser counted = new Denoiser() {
                @Override
                public void predict(Context c, Tensor out, Tensor xT, int[] t, int[] labels) {
                    net.predict(c, out, xT, t, labels);
                }

                @Override
                public void predictGuided(Context c, Tensor outCond, Tensor outUncond, Tensor xT, int[] t, int[] labels) {
                    calls.incrementAndGet();
                    net.predictGuided(c, outCond, outUncond, xT, t, labels);
                }
            };
            try (Tensor want = draw.sample(ctx, twoPasses); Tensor got = draw.sample(ctx, net);
                    Tensor again = draw.sample(ctx, counted)) {
                float[] w = want.toArray();
                assertArrayEquals(w, got.toArray(), name + ": the 2N batch changed the samples");
                assertArrayEquals(w, again.toArray(), name);
                assertFalse(Arrays.stream(toDouble(w)).anyMatch(v -> !Double.isFinite(v)), name + " samples are finite");
            }
            assertEquals(guidedCalls, calls.get(), name + ": guided calls");
        }
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    @Test
    void ddim() {
        Sampler s = new DdimSampler(GaussianDiffusion.of(NoiseSchedule.linear(100)), 5, 0.5, Spacing.TRAILING, 3.0, true);
        sameSamples("DDIM", (ctx, m) -> s.sample(ctx, m, SHAPE, LABELS, SampleNoise.of(11, 3), null), 5);
    }

    @Test
    void ddpm() {
        Sampler s = new DdpmSampler(GaussianDiffusion.of(NoiseSchedule.cosine(100)), 4, Spacing.LINSPACE, 2.0, true);
        sameSamples("DDPM", (ctx, m) -> s.sample(ctx, m, SHAPE, LABELS, SampleNoise.of(12, 3), null), 4);
    }

    @Test
    void annealedLangevin() {
        AnnealedLangevin a = new AnnealedLangevin(new ScoreMatching(NoiseLevels.geometric(3, 0.1, 4)), 2, 0.01, true, 1.5);
        sameSamples("annealed Langevin", (ctx, m) -> a.sample(ctx, m, SHAPE, LABELS, SampleNoise.of(13, 3), null),
                a.steps());
    }

    @Test
    void predictorCorrector() {
        Sampler ddpm = new DdpmSampler(GaussianDiffusion.of(NoiseSchedule.linear(100)), 3, Spacing.LINSPACE, 2.0, true);
        PredictorCorrector pc = new PredictorCorrector(ddpm, 2, 0.16);
        sameSamples("predictor-corrector", (ctx, m) -> pc.sample(ctx, m, SHAPE, LABELS, SampleNoise.of(14, 3), null),
                3 * (1 + 2));
    }
}
