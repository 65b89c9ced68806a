package org.diffusion4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.Context;
import org.diffusion4j.D4jException;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Classifier guidance's DDPM shift x ← x + s·Σ ⊙ g against a float64 loop, Σ learned (raw
 * variance outputs r over [−1.5, 1.5], so f = (r + 1)/2 leaves [0, 1]) and fixed (varOut null:
 * Σ = exp(logVarMin)) on linear-schedule steps (SamplerStepTest's); exp's argument clamped to
 * [−87, 88]; bad arguments named and x left alone.
 */
class VarianceShiftTest {
    /** x + s·exp(clamp(f·max + (1 − f)·min, −87, 88))·g in float64, f = (r + 1)/2, or 0 without r. */
    static double reference(double x, double g, Float r, double scale, double max, double min) {
        double f = r == null ? 0 : (r + 1.0) / 2;
        double logVar = Math.min(88, Math.max(-87, f * max + (1 - f) * min));
        return x + scale * Math.exp(logVar) * g;
    }

    /**
     * Every element within 2e-6 of the reference relative to |x| + |shift|: log Σ rounded to
     * float, the native exp's 4 ulp, s·Σ and the fma.
     */
    private static void matchesTheFloat64Loop(String dims, boolean learned, float scale, float logVarMax,
            float logVarMin, double tolerance) {
        int[] shape = TestData.shape(dims);
        int n = TestData.numel(shape);
        float[] x = TestData.random(1, n, 1f);
        float[] g = TestData.random(2, n, 1f);
        float[] r = TestData.random(3, n, 1.5f);
        try (Context ctx = Context.create(Device.cpu());
                Tensor tx = Tensor.of(ctx, x, shape);
                Tensor tg = Tensor.of(ctx, g, shape);
                Tensor tr = Tensor.of(ctx, r, shape)) {
            VarianceShift.apply(ctx, tx, tg, learned ? tr : null, scale, logVarMax, logVarMin);
            float[] got = tx.toArray();
            double worst = 0;
            for (int i = 0; i < n; i++) {
                double ref = reference(x[i], g[i], learned ? r[i] : null, scale, logVarMax, logVarMin);
                double e = Math.abs(got[i] - ref) / (Math.abs(x[i]) + Math.abs(ref - x[i]));
                worst = Double.isNaN(e) ? Double.POSITIVE_INFINITY : Math.max(worst, e);
            }
            System.out.printf("variance shift %s learned=%b s=%g: worst %.3g%n", dims, learned, scale, worst);
            assertTrue(worst < tolerance, dims + " learned=" + learned + ": worst element error " + worst);
        }
    }

    /** The linear schedule's step t → tPrev: log β_t and log β̃_t, the range Σ interpolates. */
    @ParameterizedTest(name = "{0} t={1}->{2} s={3}")
    @CsvSource({"5x3x3x2, 10, 9, 2.5", "3x10001, 500, 499, 10", "64x28x28x1, 1000, 980, -4", "7, 2, 1, 1"})
    void learnedAndFixedMatchTheFloat64Loop(String dims, int t, int tPrev, float scale) {
        SamplerStep.Coefficients c = SamplerStepTest.learnedVariance("eps", t, tPrev, 0, false);
        matchesTheFloat64Loop(dims, true, scale, c.logVarMax(), c.logVarMin(), 2e-6);
        matchesTheFloat64Loop(dims, false, scale, c.logVarMax(), c.logVarMin(), 2e-6);
        matchesTheFloat64Loop(dims, false, scale, c.logVarMin(), c.logVarMax(), 2e-6); // fixed Σ = β_t
    }

    /** log Σ = 95·r reaches ±142: exp(88) and exp(−87) are what it multiplies by. */
    @Test
    void theExpArgumentIsClamped() {
        matchesTheFloat64Loop("64x28x28x1", true, 1f, 95f, -95f, 3e-5);
        float[] x = {0.5f, -0.25f, 1f};
        float[] g = {1f, -2f, 0.5f};
        try (Context ctx = Context.create(Device.cpu());
                Tensor lo = Tensor.of(ctx, x, 3);
                Tensor hi = Tensor.of(ctx, x, 3);
                Tensor tg = Tensor.of(ctx, g, 3)) {
            VarianceShift.apply(ctx, lo, tg, null, 1e30f, 0f, -100f);
            VarianceShift.apply(ctx, hi, tg, null, 1e-30f, 0f, 100f);
            float[] gotLo = lo.toArray();
            float[] gotHi = hi.toArray();
            for (int i = 0; i < 3; i++) {
                double wantLo = x[i] + 1e30f * Math.exp(-87) * g[i];
                double wantHi = x[i] + 1e-30f * Math.exp(88) * g[i];
                assertTrue(Math.abs(gotLo[i] - wantLo) <= 2e-6 * Math.abs(wantLo), gotLo[i] + " vs " + wantLo);
                assertTrue(Math.abs(gotHi[i] - wantHi) <= 2e-6 * Math.abs(wantHi), gotHi[i] + " vs " + wantHi);
            }
        }
    }

    @Test
    void badArgumentsAreNamed() {
        float[] ones = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
        try (Context ctx = Context.create(Device.cpu());
                Tensor x = Tensor.of(ctx, ones, 3, 5);
                Tensor g = Tensor.of(ctx, ones, 3, 5);
                Tensor r = Tensor.of(ctx, ones, 3, 5);
                Tensor wrong = Tensor.empty(ctx, 3, 6).fill(1f)) {
            refused(IllegalArgumentException.class, "scale is NaN; it must be finite",
                    () -> VarianceShift.apply(ctx, x, g, r, Float.NaN, 0, 0));
            refused(IllegalArgumentException.class, "logVarMax is Infinity",
                    () -> VarianceShift.apply(ctx, x, g, null, 1, Float.POSITIVE_INFINITY, 0));
            refused(IllegalArgumentException.class, "logVarMin is -Infinity",
                    () -> VarianceShift.apply(ctx, x, g, r, 1, 0, Float.NEGATIVE_INFINITY));
            refused(NullPointerException.class, "grad", () -> VarianceShift.apply(ctx, x, null, r, 1, 0, 0));
            refused(D4jException.class, "grad has shape [3, 6] but x has shape [3, 5]",
                    () -> VarianceShift.apply(ctx, x, wrong, r, 1, 0, 0));
            refused(D4jException.class, "var_out has shape [3, 6] but x has shape [3, 5]",
                    () -> VarianceShift.apply(ctx, x, g, wrong, 1, 0, 0));
            refused(D4jException.class, "x must not alias grad", () -> VarianceShift.apply(ctx, x, x, r, 1, 0, 0));
            refused(D4jException.class, "x must not alias var_out", () -> VarianceShift.apply(ctx, x, g, x, 1, 0, 0));
            assertArrayEquals(ones, x.toArray(), "a refused call must leave x alone");
        }
    }

    /** call throws a {@code type} whose message names {@code needle}. */
    private static void refused(Class<? extends Exception> type, String needle, Executable call) {
        Exception e = assertThrows(type, call);
        assertTrue(e.getMessage().contains(needle), e.getMessage());
    }
}
