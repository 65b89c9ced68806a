package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Samplers against closed forms. For Gaussian data x_0 ~ N(μ, s²) (per element) the optimal
 * ε-predictor is linear: ε*(x_t) = √(1−ᾱ)(x_t − √ᾱ μ)/(ᾱ s² + 1 − ᾱ). Every step is then linear
 * in x plus Gaussian noise, so the output's mean and variance follow exactly from the step
 * coefficients (propagated here in float64): the samples must match that within sampling error.
 * How close that exact distribution is to the data's is a property of the sampler, not of the
 * code: DDPM's fixed variances (β or β̃) are not the true reverse variance β̃ + c0²·Var[x_0|x_t]
 * (Bao et al., Analytic-DPM, 2022), so DDPM lands within a few percent; deterministic DDIM
 * discretizes an ODE and converges to the data as S grows.
 */
class SamplerTest {
    static final double MU = 0.4;
    static final double S2 = 0.25;
    static final NoiseSchedule SCHEDULE = NoiseSchedule.linear(1000);

    /** The exact ε-predictor for N(MU, S2) data, computed on the host. */
    static final NoisePredictor GAUSSIAN = (ctx, eps, x, t, labels) -> {
        float[] v = x.toArray();
        double ab = SCHEDULE.alphaBar(t[0]);
        double k = Math.sqrt(1 - ab) / (ab * S2 + 1 - ab);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (k * (v[i] - Math.sqrt(ab) * MU));
        }
        eps.copyFrom(v);
    };

    /** Mean and variance after the sampler's steps, from x_T ~ N(0, 1), in float64. */
    static double[] propagate(Sampler sampler) {
        double m = 0;
        double v = 1;
        int[] ts = sampler.timesteps();
        for (int i = 0; i < ts.length; i++) {
            Sampler.Coefficients c = sampler.coefficients(i);
            double ab = SCHEDULE.alphaBar(c.t());
            double a = Math.sqrt(1 - ab) / (ab * S2 + 1 - ab); // eps = a x + b
            double b = -a * Math.sqrt(ab) * MU;
            double px = (1 - Math.sqrt(1 - ab) * a) / Math.sqrt(ab); // x0 = px x + qx
            double qx = -Math.sqrt(1 - ab) * b / Math.sqrt(ab);
            double k = c.coefX0() * px + c.coefXt() + c.coefEps() * a;
            double off = c.coefX0() * qx + c.coefEps() * b;
            m = k * m + off;
            v = k * k * v + c.sigma() * c.sigma();
        }
        return new double[] {m, v};
    }

    static double[] moments(float[] x) {
        double sum = 0;
        for (float f : x) {
            sum += f;
        }
        double mean = sum / x.length;
        double sq = 0;
        for (float f : x) {
            sq += (f - mean) * (f - mean);
        }
        return new double[] {mean, sq / (x.length - 1)};
    }

    static void check(Sampler sampler, double dataTolerance) {
        int n = 40000;
        float[] x;
        try (Context ctx = Context.create(Device.cpu()); Tensor out = sampler.sample(ctx, GAUSSIAN, new int[] {200, n / 200},
                null, 11, null)) {
            x = out.toArray();
        }
        double[] got = moments(x);
        double[] want = propagate(sampler);
        double seMean = Math.sqrt(want[1] / n);
        double seVar = want[1] * Math.sqrt(2.0 / (n - 1));
        System.out.printf("%s: mean %.4f (exact %.4f, data %.2f), variance %.4f (exact %.4f, data %.2f)%n", sampler, got[0],
                want[0], MU, got[1], want[1], S2);
        assertEquals(want[0], got[0], 5 * seMean, "mean vs the exact propagation");
        assertEquals(want[1], got[1], 5 * seVar, "variance vs the exact propagation");
        if (!Double.isNaN(dataTolerance)) {
            assertEquals(MU, want[0], dataTolerance * MU, "the sampler's exact mean vs the data's");
            assertEquals(S2, want[1], dataTolerance * S2, "the sampler's exact variance vs the data's");
        }
    }

    @Test
    void ddpmRecoversGaussianData() {
        check(new DdpmSampler(SCHEDULE, DdpmSampler.Variance.BETA_TILDE, 0, false), 0.03);
        check(new DdpmSampler(SCHEDULE, DdpmSampler.Variance.BETA, 0, false), 0.03);
    }

    /** steps, eta, spacing, tolerance on the data's moments */
    @ParameterizedTest(name = "DDIM S={0} eta={1} {2}")
    @CsvSource({"10, 0.0, TRAILING, NaN", "50, 0.0, TRAILING, NaN", "50, 1.0, LEADING, NaN", "100, 0.5, LINSPACE, NaN",
        "25, 0.0, LEADING, NaN", "1000, 0.0, LINSPACE, 0.03"})
    void ddimRecoversGaussianData(int steps, double eta, DdimSampler.Spacing spacing, double tolerance) {
        check(new DdimSampler(SCHEDULE, steps, eta, spacing, 0, false), tolerance);
    }

    /** Deterministic DDIM's exact output variance approaches the data's as S grows. */
    @Test
    void ddimConvergesWithSteps() {
        double previous = Double.MAX_VALUE;
        for (int steps : new int[] {5, 20, 100, 500, 1000}) {
            double gap = Math.abs(propagate(new DdimSampler(SCHEDULE, steps, 0, DdimSampler.Spacing.LINSPACE, 0, false))[1] - S2);
            System.out.printf("DDIM S=%d: |variance - data variance| = %.4f%n", steps, gap);
            assertTrue(gap < previous, "S=" + steps + " is no closer than fewer steps");
            previous = gap;
        }
    }

    @Test
    void ddimWithEtaZeroIsDeterministicAndSeedsReproduce() {
        DdimSampler ddim = DdimSampler.of(SCHEDULE, 20);
        try (Context ctx = Context.create(Device.cpu());
                Tensor a = ddim.sample(ctx, GAUSSIAN, new int[] {4, 8, 8, 1}, null, 5, null);
                Tensor b = ddim.sample(ctx, GAUSSIAN, new int[] {4, 8, 8, 1}, null, 5, null);
                Tensor c = ddim.sample(ctx, GAUSSIAN, new int[] {4, 8, 8, 1}, null, 6, null)) {
            assertArrayEquals(a.toArray(), b.toArray());
            assertTrue(!java.util.Arrays.equals(a.toArray(), c.toArray()), "another seed, another sample");
            long offset = ctx.rngOffset();
            assertEquals((4 * 8 * 8 + 3) / 4, offset, "eta = 0 draws only x_T");
        }
    }

    @Test
    void guidanceZeroEqualsTheConditionalModel() {
        // a predictor whose conditional and unconditional answers differ
        NoisePredictor labelled = (ctx, eps, x, t, labels) -> {
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
                Tensor w0 = new DdimSampler(SCHEDULE, 10, 0, DdimSampler.Spacing.TRAILING, 0.0, true)
                        .sample(ctx, labelled, shape, labels, 3, null);
                Tensor plain = new DdimSampler(SCHEDULE, 10, 0, DdimSampler.Spacing.TRAILING, 0.0, true)
                        .sample(ctx, (c, e, x, t, l) -> labelled.predict(c, e, x, t, labels), shape, null, 3, null);
                Tensor w2 = new DdimSampler(SCHEDULE, 10, 0, DdimSampler.Spacing.TRAILING, 2.0, true)
                        .sample(ctx, labelled, shape, labels, 3, null)) {
            assertArrayEquals(plain.toArray(), w0.toArray(), "w = 0 must be the conditional model exactly");
            assertTrue(!java.util.Arrays.equals(w0.toArray(), w2.toArray()), "w = 2 must differ");
        }
    }

    /**
     * One guided DDIM step whose x̂_0 leaves [-1, 1] against a float64 reference: the clipped x̂_0
     * and the ε it implies, (x_t − √ᾱ x̂_0)/√(1−ᾱ), make x_{t−1} (improved-diffusion's DDIM).
     */
    @Test
    void clippedDdimStepUsesTheNoiseTheClippedX0Implies() {
        double w = 3.0;
        float[][] seen = new float[1][];
        NoisePredictor model = (ctx, eps, x, t, labels) -> {
            float[] v = x.toArray();
            if (seen[0] == null) {
                seen[0] = v.clone();
            }
            for (int i = 0; i < v.length; i++) { // large conditional answers push x̂_0 far outside [-1, 1]
                v[i] = labels == null ? 0.1f * v[i] : 0.3f * v[i] + (i % 2 == 0 ? 0.8f : -0.8f);
            }
            eps.copyFrom(v);
        };
        DdimSampler sampler = new DdimSampler(SCHEDULE, 20, 0, DdimSampler.Spacing.TRAILING, w, true);
        float[][] after = new float[1][];
        int[] shape = {2, 5, 5, 1};
        try (Context ctx = Context.create(Device.cpu())) {
            assertThrows(CancellationException.class, () -> sampler.sample(ctx, model, shape, new int[] {1, 4}, 8,
                    (step, steps, t, x) -> {
                        after[0] = x.toArray();
                        return false;
                    }).close());
        }
        Sampler.Coefficients c = sampler.coefficients(0);
        double ab = SCHEDULE.alphaBar(c.t());
        int clipped = 0;
        for (int i = 0; i < seen[0].length; i++) {
            double x = seen[0][i];
            double e = (w + 1) * (0.3f * seen[0][i] + (i % 2 == 0 ? 0.8f : -0.8f)) - w * (0.1f * seen[0][i]);
            double x0 = (x - Math.sqrt(1 - ab) * e) / Math.sqrt(ab);
            clipped += Math.abs(x0) > 1 ? 1 : 0;
            x0 = Math.max(-1, Math.min(1, x0));
            double eImplied = (x - Math.sqrt(ab) * x0) / Math.sqrt(1 - ab);
            double want = c.coefX0() * x0 + c.coefEps() * eImplied;
            assertEquals(want, after[0][i], 1e-5 * Math.max(1, Math.abs(want)), "element " + i);
        }
        assertTrue(clipped > seen[0].length / 2, "the test must clip most elements; clipped " + clipped);
    }

    @Test
    void callbackSeesEveryStepAndCanCancel() {
        AtomicInteger seen = new AtomicInteger();
        DdimSampler ddim = DdimSampler.of(SCHEDULE, 8);
        try (Context ctx = Context.create(Device.cpu())) {
            ddim.sample(ctx, GAUSSIAN, new int[] {2, 4}, null, 1, (step, steps, t, x) -> {
                assertEquals(seen.incrementAndGet(), step);
                assertEquals(8, steps);
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
        IllegalArgumentException steps = assertThrows(IllegalArgumentException.class, () -> DdimSampler.of(SCHEDULE, 0));
        assertTrue(steps.getMessage().contains("steps is 0"), steps.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DdimSampler.of(SCHEDULE, 1001));
        IllegalArgumentException eta = assertThrows(IllegalArgumentException.class,
                () -> new DdimSampler(SCHEDULE, 10, -1, DdimSampler.Spacing.LEADING, 0, true));
        assertTrue(eta.getMessage().contains("eta is -1"), eta.getMessage());
        IllegalArgumentException w = assertThrows(IllegalArgumentException.class,
                () -> new DdpmSampler(SCHEDULE, DdpmSampler.Variance.BETA, Double.NaN, true));
        assertTrue(w.getMessage().contains("guidance weight is NaN"), w.getMessage());
        assertArrayEquals(new int[] {999, 749, 499, 249}, DdimSampler.of(SCHEDULE, 4).timesteps());
        assertArrayEquals(new int[] {750, 500, 250, 0},
                new DdimSampler(SCHEDULE, 4, 0, DdimSampler.Spacing.LEADING, 0, true).timesteps());
        assertArrayEquals(new int[] {999, 666, 333, 0},
                new DdimSampler(SCHEDULE, 4, 0, DdimSampler.Spacing.LINSPACE, 0, true).timesteps());
    }
}
