package org.diffusion4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.diffusion4j.Context;
import org.diffusion4j.D4jException;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.testing.Philox;
import org.diffusion4j.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The fused sampler step against a float64 loop (z from the Java Philox reference of the keyed
 * noise) for ε-, x_0- and v-prediction coefficient sets, DDPM-style (coefXt) and DDIM-style
 * (coefEps), with and without guidance and clipping; Improved DDPM's learned variance (varOut)
 * on linear-schedule steps likewise; ε̂ = o exactly for (0, 1); a sample's step does not depend
 * on its batch; σ = 0 needs no ids and reads no varOut; bad arguments named. Outputs poisoned
 * with NaN.
 */
public class SamplerStepTest {
    /** ᾱ_t = 0.36 → ᾱ_prev = 0.64 (a = 0.6, s = 0.8); also used by CudaSamplerTest. */
    public static SamplerStep.Coefficients coefficients(String param, boolean ddim, double w, boolean clip) {
        return coefficients(param, 0.36, 0.64, ddim, w, clip);
    }

    /**
     * The step ᾱ_t = ab → ᾱ_prev = abPrev: DDIM's coefficients with σ = ½·(DDPM's σ), else DDPM's
     * posterior mean with σ² = β̃; in float64, rounded once.
     */
    static SamplerStep.Coefficients coefficients(String param, double ab, double abPrev, boolean ddim, double w,
            boolean clip) {
        double a = Math.sqrt(ab);
        double s = Math.sqrt(1 - ab);
        double[] m = switch (param) {
            case "eps" -> new double[] {1 / a, -s / a, 0, 1};
            case "x0" -> new double[] {0, 1, 1 / s, -a / s};
            case "v" -> new double[] {a, -s, s, a};
            default -> throw new IllegalArgumentException(param);
        };
        double alpha = ab / abPrev;
        double c0;
        double c1;
        double c2;
        double sigma;
        if (ddim) {
            sigma = 0.5 * Math.sqrt((1 - abPrev) / (1 - ab) * (1 - alpha));
            c0 = Math.sqrt(abPrev);
            c1 = 0;
            c2 = Math.sqrt(1 - abPrev - sigma * sigma);
        } else {
            c0 = Math.sqrt(abPrev) * (1 - alpha) / (1 - ab);
            c1 = Math.sqrt(alpha) * (1 - abPrev) / (1 - ab);
            c2 = 0;
            sigma = Math.sqrt((1 - alpha) * (1 - abPrev) / (1 - ab));
        }
        return new SamplerStep.Coefficients((float) m[0], (float) m[1], (float) m[2], (float) m[3], (float) a,
                (float) (1 / s), (float) c0, (float) c1, (float) c2, (float) sigma, 0f, 0f, (float) w, clip);
    }

    /** ᾱ_t of the linear DDPM schedule (T = 1000, β from 1e-4 to 0.02), ᾱ_0 = 1, in float64. */
    static double linearAlphaBar(int t) {
        double ab = 1;
        for (int k = 1; k <= t; k++) {
            ab *= 1 - (1e-4 + (0.02 - 1e-4) * (k - 1) / 999.0);
        }
        return ab;
    }

    /**
     * The DDPM step t → tPrev of the linear schedule (a respaced one when tPrev &lt; t − 1, with β_t
     * = 1 − ᾱ_t/ᾱ_prev) with learned variance: σ = 1 (the scale), logVarMax = log β_t, logVarMin =
     * log β̃_t; also used by CudaSamplerTest.
     */
    public static SamplerStep.Coefficients learnedVariance(String param, int t, int tPrev, double w, boolean clip) {
        double ab = linearAlphaBar(t);
        double abPrev = linearAlphaBar(tPrev);
        double beta = 1 - ab / abPrev;
        double betaTilde = beta * (1 - abPrev) / (1 - ab);
        SamplerStep.Coefficients c = coefficients(param, ab, abPrev, false, w, clip);
        return with(c, c.coefX0(), c.coefXt(), c.coefEps(), 1f, (float) Math.log(beta), (float) Math.log(betaTilde));
    }

    /** c with another update (coefX0, coefXt, coefEps, σ, logVarMax, logVarMin); x̂_0, ε̂ and guidance kept. */
    static SamplerStep.Coefficients with(SamplerStep.Coefficients c, float coefX0, float coefXt, float coefEps,
            float sigma, float logVarMax, float logVarMin) {
        return new SamplerStep.Coefficients(c.x0FromXt(), c.x0FromOut(), c.epsFromXt(), c.epsFromOut(),
                c.sqrtAlphaBar(), c.recipSqrtOneMinusAlphaBar(), coefX0, coefXt, coefEps, sigma, logVarMax, logVarMin,
                c.guidance(), c.clipX0());
    }

    /** σ_i of the learned range in float64: σ·exp(½ (f·logVarMax + (1 − f)·logVarMin)), f = (r + 1)/2. */
    static double learnedSigma(double r, SamplerStep.Coefficients c) {
        double f = (r + 1) / 2;
        return c.sigma() * Math.exp(0.5 * (f * c.logVarMax() + (1 - f) * c.logVarMin()));
    }

    /** The step in float64 from the float coefficients, the keyed z and the element's σ. */
    static double reference(double x, double e, double u, double z, double sigma, SamplerStep.Coefficients c,
            boolean guided) {
        double w = c.guidance();
        double o = guided ? (w + 1) * e - w * u : e;
        double x0 = (double) c.x0FromXt() * x + (double) c.x0FromOut() * o;
        double eps = (double) c.epsFromXt() * x + (double) c.epsFromOut() * o;
        if (c.clipX0()) {
            x0 = Math.max(-1, Math.min(1, x0));
            eps = (x - (double) c.sqrtAlphaBar() * x0) * c.recipSqrtOneMinusAlphaBar();
        }
        return c.coefX0() * x0 + (double) c.coefXt() * x + (double) c.coefEps() * eps + sigma * z;
    }

    @ParameterizedTest(name = "{0} ddim={1} guided={2} clip={3}")
    @CsvSource({"eps, false, false, false", "eps, true, false, false", "eps, true, true, true", "eps, false, true, true",
        "x0, false, false, false", "x0, true, true, false", "x0, true, false, true", "x0, false, true, true",
        "v, false, false, false", "v, true, true, false", "v, true, false, true", "v, false, true, true"})
    void matchesTheFloat64Loop(String param, boolean ddim, boolean guided, boolean clip) {
        SamplerStep.Coefficients c = coefficients(param, ddim, guided ? 2.5 : 0, clip);
        matchesTheFloat64Loop(c, guided, false, String.format("%s ddim=%b guided=%b clip=%b", param, ddim, guided, clip));
    }

    @ParameterizedTest(name = "{0} t={1}->{2} guided={3} clip={4}")
    @CsvSource({"eps, 100, 80, false, false", "eps, 100, 80, true, true", "eps, 2, 1, true, false",
        "eps, 600, 599, false, true", "v, 300, 280, true, true", "x0, 2, 1, false, false"})
    void learnedVarianceMatchesTheFloat64Loop(String param, int t, int tPrev, boolean guided, boolean clip) {
        SamplerStep.Coefficients c = learnedVariance(param, t, tPrev, guided ? 2.5 : 0, clip);
        matchesTheFloat64Loop(c, guided, true,
                String.format("%s learned t=%d->%d guided=%b clip=%b", param, t, tPrev, guided, clip));
    }

    /**
     * The step with c against the float64 loop, and its noise term σ_i z alone (coef* = 0) element
     * by element; learned: with a variance output r over [−1.5, 1.5], so f = (r + 1)/2 leaves [0, 1].
     */
    private static void matchesTheFloat64Loop(SamplerStep.Coefficients c, boolean guided, boolean learned,
            String what) {
        SamplerStep.Coefficients noiseOnly = with(c, 0, 0, 0, c.sigma(), c.logVarMax(), c.logVarMin());
        int clipped = 0;
        int total = 0;
        for (int[] shape : new int[][] {{3, 5, 7, 2}, {5, 3, 1}, {64, 28, 28, 1}}) {
            int n = TestData.numel(shape);
            int per = n / shape[0];
            float[] x = TestData.random(1, n, 1.5f);
            float[] e = TestData.random(2, n, 1.8f);
            float[] u = TestData.random(3, n, 1f);
            float[] r = TestData.random(4, n, 1.5f);
            long[] ids = new long[shape[0]];
            for (int s = 0; s < ids.length; s++) {
                ids[s] = 100 + 7L * s;
            }
            double[] z = Philox.keyedNoise(42, 6, ids, per);
            try (Context ctx = Context.create(Device.cpu(), 1);
                    Tensor tx = Tensor.of(ctx, x, shape);
                    Tensor te = Tensor.of(ctx, e, shape);
                    Tensor tu = Tensor.of(ctx, u, shape);
                    Tensor tr = Tensor.of(ctx, r, shape);
                    Tensor out = Tensor.empty(ctx, shape).fill(Float.NaN);
                    Tensor noise = Tensor.empty(ctx, shape).fill(Float.NaN)) {
                Tensor outUncond = guided ? tu : null;
                Tensor varOut = learned ? tr : null;
                long offset = ctx.rngOffset();
                SamplerStep.apply(ctx, out, tx, te, outUncond, varOut, c, 42, 6, ids);
                assertEquals(offset, ctx.rngOffset(), "the step must not move the context's stream");
                SamplerStep.apply(ctx, noise, tx, te, outUncond, varOut, noiseOnly, 42, 6, ids);
                float[] got = out.toArray();
                float[] gotNoise = noise.toArray();
                float[] ref = new float[n];
                double worst = 0;
                total += n;
                for (int i = 0; i < n; i++) {
                    double sigma = learned ? learnedSigma(r[i], c) : c.sigma();
                    ref[i] = (float) reference(x[i], e[i], u[i], z[i], sigma, c, guided);
                    double d = Math.abs(gotNoise[i] - sigma * z[i]) / Math.abs(sigma * z[i]);
                    worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(worst, d);
                    double o = guided ? (c.guidance() + 1.0) * e[i] - c.guidance() * (double) u[i] : e[i];
                    clipped += Math.abs(c.x0FromXt() * (double) x[i] + c.x0FromOut() * o) > 1 ? 1 : 0;
                }
                double err = TestData.relativeError(got, ref);
                System.out.printf("step %s %s: %.2e, σ_i z worst %.2e%n", what, Arrays.toString(shape), err, worst);
                assertTrue(err < 1e-6, "relative error " + err);
                // σ_i's own rounding: ½ log Σ (|·| up to 5 here) to float rounding, the native exp's 4 ulp
                assertTrue(worst < 1.5e-6, "σ_i z worst relative error " + worst);
            }
        }
        System.out.printf("  x̂_0 outside [-1, 1] in %d of %d elements%n", clipped, total);
        assertTrue(!c.clipX0() || clipped > total / 10, "the test must clip; it clips " + clipped + " of " + total);
    }

    @Test
    void noNoiseStepNeedsNoIdsAndReadsNoVarOut() {
        SamplerStep.Coefficients learned = learnedVariance("eps", 2, 1, 1.5, true);
        SamplerStep.Coefficients last = with(learned, learned.coefX0(), learned.coefXt(), learned.coefEps(), 0,
                learned.logVarMax(), learned.logVarMin());
        float[] x = TestData.random(15, 4 * 27, 1.5f);
        float[] e = TestData.random(16, 4 * 27, 1.8f);
        try (Context ctx = Context.create(Device.cpu());
                Tensor tx = Tensor.of(ctx, x, 4, 9, 3);
                Tensor te = Tensor.of(ctx, e, 4, 9, 3);
                Tensor nan = Tensor.empty(ctx, 4, 9, 3).fill(Float.NaN); // not read when σ = 0
                Tensor out = Tensor.empty(ctx, 4, 9, 3).fill(Float.NaN);
                Tensor plain = Tensor.empty(ctx, 4, 9, 3).fill(Float.NaN)) {
            long offset = ctx.rngOffset();
            SamplerStep.apply(ctx, out, tx, te, te, nan, last, 0, 0, null);
            assertEquals(offset, ctx.rngOffset(), "the step must not move the context's stream");
            SamplerStep.apply(ctx, plain, tx, te, te, null, last, 0, 0, null);
            assertArrayEquals(plain.toArray(), out.toArray(), "σ = 0 with varOut must equal the step without it");
            float[] ref = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                ref[i] = (float) reference(x[i], e[i], e[i], 0, 0, last, true);
            }
            double err = TestData.relativeError(out.toArray(), ref);
            assertTrue(err < 1e-6, "relative error " + err);
        }
    }

    @Test
    void epsilonPredictionReturnsTheOutputExactly() {
        float[] x = TestData.random(4, 2 * 50, 1f);
        float[] e = TestData.random(5, 2 * 50, 1f);
        SamplerStep.Coefficients c = new SamplerStep.Coefficients(1 / 0.6f, -0.8f / 0.6f, 0, 1, 0.6f, 1 / 0.8f, 0, 0, 1, 0,
                0, 0, 0, false);
        try (Context ctx = Context.create(Device.cpu());
                Tensor tx = Tensor.of(ctx, x, 2, 50);
                Tensor te = Tensor.of(ctx, e, 2, 50);
                Tensor out = Tensor.empty(ctx, 2, 50).fill(Float.NaN)) {
            SamplerStep.apply(ctx, out, tx, te, null, null, c, 0, 0, null); // σ = 0: no ids needed
            assertArrayEquals(e, out.toArray(), "ε̂ must be the model's ε bit for bit");
        }
    }

    @Test
    void aSampleStepsTheSameInAnyBatch() {
        SamplerStep.Coefficients c = coefficients("v", true, 1.5, true);
        float[] x = TestData.random(6, 8 * 30, 1f);
        float[] e = TestData.random(7, 8 * 30, 1f);
        long[] ids = {3, 1, 4, 1, 5, 9, 2, 6};
        try (Context ctx = Context.create(Device.cpu());
                Tensor tx = Tensor.of(ctx, x, 8, 30);
                Tensor te = Tensor.of(ctx, e, 8, 30);
                Tensor out = Tensor.empty(ctx, 8, 30).fill(Float.NaN);
                Tensor x1 = Tensor.of(ctx, Arrays.copyOfRange(x, 150, 180), 1, 30);
                Tensor e1 = Tensor.of(ctx, Arrays.copyOfRange(e, 150, 180), 1, 30);
                Tensor out1 = Tensor.empty(ctx, 1, 30).fill(Float.NaN)) {
            SamplerStep.apply(ctx, out, tx, te, te, null, c, 8, 2, ids);
            SamplerStep.apply(ctx, out1, x1, e1, e1, null, c, 8, 2, new long[] {9});
            assertArrayEquals(Arrays.copyOfRange(out.toArray(), 150, 180), out1.toArray());
        }
    }

    @Test
    void badArgumentsAreNamed() {
        SamplerStep.Coefficients c = coefficients("eps", false, 0, false);
        IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                () -> new SamplerStep.Coefficients(1, Float.NaN, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, false));
        assertTrue(nan.getMessage().contains("x0FromOut is NaN"), nan.getMessage());
        IllegalArgumentException inf = assertThrows(IllegalArgumentException.class,
                () -> new SamplerStep.Coefficients(1, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, Float.POSITIVE_INFINITY, false));
        assertTrue(inf.getMessage().contains("guidance is Infinity"), inf.getMessage());
        IllegalArgumentException neg = assertThrows(IllegalArgumentException.class,
                () -> new SamplerStep.Coefficients(1, 0, 0, 1, 1, 1, 1, 0, 0, -0.5f, 0, 0, 0, false));
        assertTrue(neg.getMessage().contains("sigma is -0.5"), neg.getMessage());
        IllegalArgumentException logVar = assertThrows(IllegalArgumentException.class,
                () -> new SamplerStep.Coefficients(1, 0, 0, 1, 1, 1, 1, 0, 0, 1, Float.NaN, -2, 0, false));
        assertTrue(logVar.getMessage().contains("logVarMax is NaN"), logVar.getMessage());
        IllegalArgumentException logVarMin = assertThrows(IllegalArgumentException.class,
                () -> new SamplerStep.Coefficients(1, 0, 0, 1, 1, 1, 1, 0, 0, 1, -1, Float.NEGATIVE_INFINITY, 0, false));
        assertTrue(logVarMin.getMessage().contains("logVarMin is -Infinity"), logVarMin.getMessage());
        try (Context ctx = Context.create(Device.cpu());
                Tensor x = Tensor.empty(ctx, 3, 5);
                Tensor o = Tensor.empty(ctx, 3, 5);
                Tensor p = Tensor.empty(ctx, 3, 5);
                Tensor wrong = Tensor.empty(ctx, 3, 6);
                Tensor r = Tensor.empty(ctx, 3, 5)) {
            long[] ids = {1, 2, 3};
            IllegalArgumentException noIds = assertThrows(IllegalArgumentException.class,
                    () -> SamplerStep.apply(ctx, p, x, o, null, null, c, 0, 0, null));
            assertTrue(noIds.getMessage().contains("ids is null but sigma is " + c.sigma()), noIds.getMessage());
            IllegalArgumentException few = assertThrows(IllegalArgumentException.class,
                    () -> SamplerStep.apply(ctx, p, x, o, null, null, c, 0, 0, new long[] {1}));
            assertTrue(few.getMessage().contains("ids has 1 entries but xT has 3 samples"), few.getMessage());
            D4jException shape = assertThrows(D4jException.class,
                    () -> SamplerStep.apply(ctx, p, x, wrong, null, null, c, 0, 0, ids));
            assertTrue(shape.getMessage().contains("out has shape [3, 6] but x_t has shape [3, 5]"), shape.getMessage());
            D4jException alias = assertThrows(D4jException.class,
                    () -> SamplerStep.apply(ctx, o, x, o, null, null, c, 0, 0, ids));
            assertTrue(alias.getMessage().contains("x_prev must not alias out"), alias.getMessage());
            D4jException varShape = assertThrows(D4jException.class,
                    () -> SamplerStep.apply(ctx, p, x, o, null, wrong, c, 0, 0, ids));
            assertTrue(varShape.getMessage().contains("var_out has shape [3, 6] but x_t has shape [3, 5]"),
                    varShape.getMessage());
            D4jException varAlias = assertThrows(D4jException.class,
                    () -> SamplerStep.apply(ctx, r, x, o, null, r, c, 0, 0, ids));
            assertTrue(varAlias.getMessage().contains("x_prev must not alias var_out"), varAlias.getMessage());
        }
    }
}
