package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.junit.jupiter.api.Test;

/** Sampler behaviour beyond the closed forms: guidance, clipping, callbacks, the caller's RNG, bad input. */
class SamplerTest {
    static final NoiseSchedule SCHEDULE = NoiseSchedule.linear(1000);
    static final GaussianDiffusion DIFFUSION = GaussianDiffusion.of(SCHEDULE);
    static final Denoiser GAUSSIAN = GaussianData.model(SCHEDULE, ModelOutput.EPSILON);

    @Test
    void deterministicDdimReproducesAndNeverTouchesTheContextRng() {
        DdimSampler ddim = DdimSampler.of(DIFFUSION, 20);
        DdpmSampler ddpm = new DdpmSampler(DIFFUSION, 20, Spacing.LINSPACE, 0, true);
        try (Context ctx = Context.create(Device.cpu(), 77);
                Tensor a = ddim.sample(ctx, GAUSSIAN, new int[] {4, 8, 8, 1}, null, 5, null);
                Tensor b = ddim.sample(ctx, GAUSSIAN, new int[] {4, 8, 8, 1}, null, 5, null);
                Tensor c = ddim.sample(ctx, GAUSSIAN, new int[] {4, 8, 8, 1}, null, 6, null);
                Tensor d = ddpm.sample(ctx, GAUSSIAN, new int[] {4, 8, 8, 1}, null, 6, null)) {
            assertArrayEquals(a.toArray(), b.toArray());
            assertFalse(Arrays.equals(a.toArray(), c.toArray()), "another seed, another sample");
            assertEquals(77, ctx.seed(), "a sampler never resets the caller's RNG");
            assertEquals(0, ctx.rngOffset(), "a sampler never moves the caller's RNG");
        }
    }

    @Test
    void guidanceZeroEqualsTheConditionalModel() {
        // a model whose conditional and unconditional answers differ
        Denoiser labelled = (ctx, eps, x, t, labels) -> {
            GAUSSIAN.predict(ctx, eps, x, t, labels);
            if (labels != null) {
                float[] e = eps.toArray();
                for (int i = 0; i < e.length; i++) {
                    e[i] += 0.1f * labels[i / (e.length / labels.length)];
                }
                eps.copyFrom(e);
            }
        };
        int[] labels = {0, 1, 2, 3};
        int[] shape = {4, 6, 6, 1};
        try (Context ctx = Context.create(Device.cpu());
                Tensor w0 = new DdimSampler(DIFFUSION, 10, 0, Spacing.TRAILING, 0.0, true)
                        .sample(ctx, labelled, shape, labels, 3, null);
                Tensor plain = new DdimSampler(DIFFUSION, 10, 0, Spacing.TRAILING, 0.0, true)
                        .sample(ctx, (c, e, x, t, l) -> labelled.predict(c, e, x, t, labels), shape, null, 3, null);
                Tensor w2 = new DdimSampler(DIFFUSION, 10, 0, Spacing.TRAILING, 2.0, true)
                        .sample(ctx, labelled, shape, labels, 3, null)) {
            assertArrayEquals(plain.toArray(), w0.toArray(), "w = 0 must be the conditional model exactly");
            assertFalse(Arrays.equals(w0.toArray(), w2.toArray()), "w = 2 must differ");
        }
    }

    /**
     * One guided DDIM step whose x̂_0 leaves [-1, 1], for each parameterisation, against a float64
     * reference: the guided output, x̂_0 from it, clipped, the ε the clipped x̂_0 implies,
     * (x_t − √ᾱ x̂_0)/√(1−ᾱ), then x_{t−1} (improved-diffusion's DDIM).
     */
    @Test
    void clippedGuidedStepUsesTheNoiseTheClippedX0Implies() {
        double w = 3.0;
        for (ModelOutput kind : ModelOutput.values()) {
            float[][] seen = new float[1][];
            Denoiser model = (ctx, out, x, t, labels) -> {
                float[] v = x.toArray();
                if (seen[0] == null) {
                    seen[0] = v.clone();
                }
                for (int i = 0; i < v.length; i++) { // large conditional answers push x̂_0 far outside [-1, 1]
                    v[i] = labels == null ? 0.1f * v[i] : 0.3f * v[i] + (i % 2 == 0 ? 0.8f : -0.8f);
                }
                out.copyFrom(v);
            };
            GaussianDiffusion d = DIFFUSION.withOutput(kind);
            DdimSampler sampler = new DdimSampler(d, 20, 0, Spacing.TRAILING, w, true);
            float[][] after = new float[1][];
            try (Context ctx = Context.create(Device.cpu())) {
                assertThrows(CancellationException.class, () -> sampler.sample(ctx, model, new int[] {2, 5, 5, 1},
                        new int[] {1, 4}, 8, (step, steps, t, x) -> {
                            after[0] = x.toArray();
                            return false;
                        }).close());
            }
            StepCoefficients c = sampler.coefficients(0);
            double ab = SCHEDULE.alphaBar(c.timestep());
            int clipped = 0;
            for (int i = 0; i < seen[0].length; i++) {
                double x = seen[0][i];
                double o = (w + 1) * (0.3f * seen[0][i] + (i % 2 == 0 ? 0.8f : -0.8f)) - w * (0.1f * seen[0][i]);
                double x0 = switch (kind) {
                    case EPSILON -> (x - Math.sqrt(1 - ab) * o) / Math.sqrt(ab);
                    case X0 -> o;
                    case V -> Math.sqrt(ab) * x - Math.sqrt(1 - ab) * o;
                };
                clipped += Math.abs(x0) > 1 ? 1 : 0;
                x0 = Math.max(-1, Math.min(1, x0));
                double eImplied = (x - Math.sqrt(ab) * x0) / Math.sqrt(1 - ab);
                double want = c.coefX0() * x0 + c.coefEps() * eImplied;
                assertEquals(want, after[0][i], 2e-5 * Math.max(1, Math.abs(want)), kind + " element " + i);
            }
            assertTrue(clipped > seen[0].length / 4, kind + ": the test must clip many elements; clipped " + clipped);
        }
    }

    @Test
    void callbackSeesEveryStepAndCanCancel() {
        AtomicInteger seen = new AtomicInteger();
        DdimSampler ddim = DdimSampler.of(DIFFUSION, 8);
        try (Context ctx = Context.create(Device.cpu())) {
            ddim.sample(ctx, GAUSSIAN, new int[] {2, 4}, null, 1, (step, steps, t, x) -> {
                assertEquals(seen.incrementAndGet(), step);
                assertEquals(8, steps);
                assertEquals(ddim.timesteps()[step - 1], t);
                return true;
            }).close();
            assertEquals(8, seen.get());
            assertThrows(CancellationException.class,
                    () -> ddim.sample(ctx, GAUSSIAN, new int[] {2, 4}, null, 1, (step, steps, t, x) -> step < 3));
            assertEquals(0, ctx.memoryInUse(), "a cancelled sample leaves no tensor behind");
        }
    }

    @Test
    void badConfigurationsNameTheValue() {
        IllegalArgumentException steps = assertThrows(IllegalArgumentException.class, () -> DdimSampler.of(DIFFUSION, 0));
        assertTrue(steps.getMessage().contains("steps is 0"), steps.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DdimSampler.of(DIFFUSION, 1001));
        IllegalArgumentException eta = assertThrows(IllegalArgumentException.class,
                () -> new DdimSampler(DIFFUSION, 10, -1, Spacing.LEADING, 0, true));
        assertTrue(eta.getMessage().contains("eta is -1"), eta.getMessage());
        IllegalArgumentException w = assertThrows(IllegalArgumentException.class,
                () -> new DdpmSampler(DIFFUSION, 1000, Spacing.LINSPACE, Double.NaN, true));
        assertTrue(w.getMessage().contains("guidance weight is NaN"), w.getMessage());
        DdimSampler s = DdimSampler.of(DIFFUSION, 10);
        IllegalArgumentException strength = assertThrows(IllegalArgumentException.class, () -> s.startStep(1.5));
        assertTrue(strength.getMessage().contains("strength is 1.5"), strength.getMessage());
        assertThrows(IllegalArgumentException.class, () -> s.startStep(0.05), "0.05 of 10 steps runs none");
        assertEquals(0, s.startStep(1.0));
        try (Context ctx = Context.create(Device.cpu())) {
            IllegalArgumentException ids = assertThrows(IllegalArgumentException.class,
                    () -> s.sample(ctx, GAUSSIAN, new int[] {3, 4}, null, SampleNoise.of(0, 2), null));
            assertTrue(ids.getMessage().contains("2 sample ids but the batch is 3"), ids.getMessage());
            assertEquals(0, ctx.memoryInUse());
        }
    }
}
