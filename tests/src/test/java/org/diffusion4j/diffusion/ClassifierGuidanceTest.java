package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.ops.KeyedNoise;
import org.diffusion4j.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Classifier guidance (Dhariwal &amp; Nichol 2021): one guided DDPM step (fixed and learned Σ, and
 * the last step) and one guided DDIM step (ε and v outputs, with classifier-free guidance too)
 * against float64 hand computations; then the closed-form check on two Gaussian classes.
 */
class ClassifierGuidanceTest {
    static final NoiseSchedule LINEAR = NoiseSchedule.linear(1000);
    static final int[] SHAPE = {3, 4, 4, 1};
    static final int N = SHAPE[0];
    static final int PER = 16;
    static final double SCALE = 2.5;

    /** The keyed noise of step k (draw k + 1), as the step draws it. */
    static float[] noiseOf(Context ctx, int k, SampleNoise noise) {
        try (Tensor z = Tensor.empty(ctx, SHAPE)) {
            KeyedNoise.apply(ctx, z, null, 0f, 1f, noise.key(), k + 1, new long[] {0, 1, 2});
            return z.toArray();
        }
    }

    static double maxAbsDiff(float[] got, double[] want) {
        double worst = 0;
        for (int i = 0; i < got.length; i++) {
            worst = Math.max(worst, Math.abs(got[i] - want[i]));
        }
        return worst;
    }

    /** Runs sampler step k on (x, out, grad) and returns x_prev. */
    static float[] step(Context ctx, Sampler sampler, int k, float[] x, float[] out, float[] outU, float[] grad, int outCh,
            SampleNoise noise) {
        int[] outShape = {N, 4, 4, outCh};
        try (Tensor tx = Tensor.of(ctx, x, SHAPE); Tensor to = Tensor.of(ctx, out, outShape);
                Tensor tu = outU == null ? null : Tensor.of(ctx, outU, outShape); Tensor tg = Tensor.of(ctx, grad, SHAPE);
                Tensor prev = Tensor.empty(ctx, SHAPE)) {
            sampler.step(ctx, k, prev, tx, to, tu, noise, tg, SCALE);
            return prev.toArray();
        }
    }

    @ParameterizedTest(name = "step {0}")
    @ValueSource(ints = {500, 999})
    void aGuidedDdpmStepWithFixedVarianceShiftsTheMeanBySSigmaG(int k) {
        GaussianDiffusion d = GaussianDiffusion.of(LINEAR);
        Sampler sampler = new DdpmSampler(d, 1000, Spacing.LINSPACE, 0, false);
        float[] x = TestData.random(1, N * PER, 1f);
        float[] o = TestData.random(2, N * PER, 1f);
        float[] g = TestData.random(3, N * PER, 3f);
        SampleNoise noise = SampleNoise.of(7, N);
        try (Context ctx = Context.create(Device.cpu())) {
            float[] got = step(ctx, sampler, k, x, o, null, g, 1, noise);
            float[] z = noiseOf(ctx, k, noise);
            int i = 999 - k;
            double ab = LINEAR.alphaBar(i);
            double abPrev = i == 0 ? 1 : LINEAR.alphaBar(i - 1);
            double beta = 1 - ab / abPrev;
            double tilde = beta * (1 - abPrev) / (1 - ab);
            // Σ of the shift: β̃_i, and at i = 0 (where β̃ is 0) β̃ at index 1, the clipped log-variance
            double ab1 = LINEAR.alphaBar(1);
            double sigma2 = i == 0 ? (1 - ab1 / LINEAR.alphaBar(0)) * (1 - LINEAR.alphaBar(0)) / (1 - ab1) : tilde;
            double[] want = new double[x.length];
            for (int e = 0; e < x.length; e++) {
                double x0 = (x[e] - Math.sqrt(1 - ab) * o[e]) / Math.sqrt(ab);
                double mean = Math.sqrt(abPrev) * beta / (1 - ab) * x0 + Math.sqrt(ab / abPrev) * (1 - abPrev) / (1 - ab) * x[e];
                want[e] = mean + (i == 0 ? 0 : Math.sqrt(tilde) * z[e]) + SCALE * sigma2 * g[e];
            }
            double err = maxAbsDiff(got, want);
            System.out.printf("guided DDPM step %d (fixed beta-tilde): max |error| %.2e%n", k, err);
            assertTrue(err < 2e-5, "max |error| " + err);
        }
    }

    @Test
    void aGuidedDdpmStepWithLearnedVarianceShiftsByTheModelsSigma() {
        GaussianDiffusion d = GaussianDiffusion.of(LINEAR).withVariance(VarianceType.LEARNED_RANGE).withLoss(LossType.HYBRID);
        Sampler sampler = new DdpmSampler(d, 100, Spacing.LINSPACE, 0, false);
        int k = 40;
        float[] x = TestData.random(1, N * PER, 1f);
        float[] mean = TestData.random(2, N * PER, 1f);
        float[] raw = TestData.random(4, N * PER, 1f);
        float[] out = new float[2 * N * PER];
        for (int e = 0; e < mean.length; e++) {
            out[2 * e] = mean[e];
            out[2 * e + 1] = raw[e];
        }
        float[] g = TestData.random(3, N * PER, 3f);
        SampleNoise noise = SampleNoise.of(8, N);
        try (Context ctx = Context.create(Device.cpu())) {
            float[] got = step(ctx, sampler, k, x, out, null, g, 2, noise);
            float[] z = noiseOf(ctx, k, noise);
            StepCoefficients c = sampler.coefficients(k);
            // the respaced chain's own β and β̃ from its ᾱ
            double ab = c.alphaBar();
            double abPrev = c.alphaBarPrev();
            double beta = 1 - ab / abPrev;
            double tilde = beta * (1 - abPrev) / (1 - ab);
            double[] want = new double[x.length];
            for (int e = 0; e < x.length; e++) {
                double x0 = (x[e] - Math.sqrt(1 - ab) * mean[e]) / Math.sqrt(ab);
                double mu = Math.sqrt(abPrev) * beta / (1 - ab) * x0 + Math.sqrt(ab / abPrev) * (1 - abPrev) / (1 - ab) * x[e];
                double f = (raw[e] + 1) / 2;
                double sigma2 = Math.exp(f * Math.log(beta) + (1 - f) * Math.log(tilde));
                want[e] = mu + Math.sqrt(sigma2) * z[e] + SCALE * sigma2 * g[e];
            }
            double err = maxAbsDiff(got, want);
            System.out.printf("guided DDPM step (learned variance, S=100): max |error| %.2e%n", err);
            assertTrue(err < 2e-5, "max |error| " + err);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"epsilon", "v", "epsilon+cfg"})
    void aGuidedDdimStepShiftsTheNoiseEstimate(String kind) {
        boolean v = kind.equals("v");
        boolean cfg = kind.endsWith("cfg");
        GaussianDiffusion d = GaussianDiffusion.of(LINEAR).withOutput(v ? ModelOutput.V : ModelOutput.EPSILON);
        double w = 2;
        Sampler sampler = new DdimSampler(d, 50, 0.0, Spacing.TRAILING, cfg ? w : 0, false);
        int k = 10;
        float[] x = TestData.random(1, N * PER, 1f);
        float[] o = TestData.random(2, N * PER, 1f);
        float[] ou = cfg ? TestData.random(5, N * PER, 1f) : null;
        float[] g = TestData.random(3, N * PER, 3f);
        try (Context ctx = Context.create(Device.cpu())) {
            float[] got = step(ctx, sampler, k, x, o, ou, g, 1, SampleNoise.of(9, N));
            StepCoefficients c = sampler.coefficients(k);
            double ab = LINEAR.alphaBar(c.timestep());
            double abPrev = c.alphaBarPrev();
            double[] want = new double[x.length];
            for (int e = 0; e < x.length; e++) {
                double out = cfg ? (w + 1) * o[e] - w * ou[e] : o[e];
                double eps = v ? Math.sqrt(ab) * out + Math.sqrt(1 - ab) * x[e] : out;
                eps -= SCALE * Math.sqrt(1 - ab) * g[e]; // Dhariwal & Nichol Algorithm 2
                double x0 = (x[e] - Math.sqrt(1 - ab) * eps) / Math.sqrt(ab);
                want[e] = Math.sqrt(abPrev) * x0 + Math.sqrt(1 - abPrev) * eps;
            }
            double err = maxAbsDiff(got, want);
            System.out.printf("guided DDIM step (%s): max |error| %.2e%n", kind, err);
            assertTrue(err < 2e-5, "max |error| " + err);
        }
    }

    @Test
    void badGradientsAndScalesAreRefused() {
        Sampler sampler = DdimSampler.of(GaussianDiffusion.of(LINEAR), 10);
        try (Context ctx = Context.create(Device.cpu()); Tensor x = Tensor.zeros(ctx, SHAPE); Tensor out = Tensor.zeros(ctx, SHAPE);
                Tensor wrong = Tensor.zeros(ctx, 3, 4, 4, 2)) {
            SampleNoise noise = SampleNoise.of(1, N);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> sampler.step(ctx, 0, x, x, out, null, noise, wrong, 1));
            assertTrue(e.getMessage().contains("[3, 4, 4, 2]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> sampler.step(ctx, 0, x, x, out, null, noise, out, -1));
            assertTrue(e.getMessage().contains("-1.0"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new ClassifierGuidance((c, g, xt, t, y) -> { }, Double.NaN,
                    new int[] {0}));
            assertTrue(e.getMessage().contains("NaN"), e.getMessage());
            ClassifierGuidance two = new ClassifierGuidance((c, g, xt, t, y) -> { }, 1, new int[] {0, 1});
            e = assertThrows(IllegalArgumentException.class,
                    () -> sampler.sample(ctx, (c, o, xt, t, y) -> { }, SHAPE, null, noise, null, two).close());
            assertTrue(e.getMessage().contains("2 labels but the batch is 3"), e.getMessage());
        }
    }
}
