package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * NCSN's denoising score matching: x̃ = x + σ_i z against float64, the loss and its gradient
 * computed here from the DSM formula λ(σ)‖s + (x̃ − x)/σ²‖² with λ = σ² and s = −o/σ (not from
 * o − z, which is what the code evaluates), the conditioning values, the score, and the
 * metadata round trip and its refusals.
 */
class ScoreMatchingTest {
    /** The unit roundoff of float32. */
    private static final double U = 0x1p-24;
    private static final NoiseLevels LEVELS = NoiseLevels.geometric(50, 0.01, 10);
    private static final ScoreMatching SM = new ScoreMatching(LEVELS);

    private static int[] shape(String dims) {
        return Arrays.stream(dims.split("x")).mapToInt(Integer::parseInt).toArray();
    }

    private static float[] data(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) Math.cos(0.37 * i) * 0.9f + 0.05f;
        }
        return x;
    }

    /** One level per sample: both ends and a spread between. */
    private static int[] levels(int batch) {
        int[] t = new int[batch];
        for (int s = 0; s < batch; s++) {
            t[s] = (s * 7 + 3) % LEVELS.levels();
        }
        t[0] = 0;
        t[batch - 1] = LEVELS.levels() - 1;
        return t;
    }

    // ---- q_sample and the target ----------------------------------------------------------------

    /** x̃ = x + σ_{t[n]} z per sample, with z the normals at the same Philox offset. */
    @ParameterizedTest
    @ValueSource(strings = {"3x5x7x2", "10x8x8x1", "1x28x28x1", "17x6x6x3"})
    void qSampleAddsSigmaTimesTheNoise(String dims) {
        int[] shape = shape(dims);
        int n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        int batch = shape[0];
        int per = n / batch;
        int[] t = levels(batch);
        try (Context ctx = Context.create(Device.cpu(), 7);
                Tensor x0 = Tensor.of(ctx, data(n), shape);
                Tensor xt = Tensor.empty(ctx, shape).fill(Float.NaN);
                Tensor eps = Tensor.empty(ctx, shape).fill(Float.NaN);
                Tensor z = Tensor.empty(ctx, shape)) {
            long offset = ctx.rngOffset();
            SM.qSample(ctx, xt, eps, x0, t);
            ctx.setRng(7, offset);
            z.fillNormal(0f, 1f);
            float[] e = eps.toArray();
            assertArrayEquals(z.toArray(), e, "eps must be the normals at the same Philox offset");
            assertSame(eps, SM.trainingTarget(ctx, null, x0, eps, t), "the target is the noise z itself");
            float[] x = data(n);
            float[] out = xt.toArray();
            for (int i = 0; i < n; i++) {
                double sigma = LEVELS.sigma(t[i / per]);
                double ref = x[i] + sigma * e[i];
                // float32: σ rounded to float (u σ|z|), the product and the sum rounded (u each): a
                // bound of 3u(|x| + σ|z|); a wrong level is off by a factor ≥ γ = 2.6 in σz
                double tol = 3 * U * (Math.abs(x[i]) + sigma * Math.abs(e[i]));
                assertEquals(ref, out[i], tol, "element " + i + " (sample " + i / per + ", level " + t[i / per] + ")");
            }
        }
    }

    // ---- the DSM loss and its gradient -------------------------------------------------------

    /**
     * The loss as the code normalises it: the mean over the batch and every element,
     * L = (1/(N·E)) Σ_n Σ_j σ_n² (s_nj + (x̃_nj − x_nj)/σ_n²)², s = −o/σ_n, all in float64.
     */
    static double dsmLoss(double[] o, float[] x, float[] xt, double[] sigma, int per) {
        double sum = 0;
        for (int j = 0; j < o.length; j++) {
            double sg = sigma[j / per];
            double s = -o[j] / sg;
            double r = s + ((double) xt[j] - x[j]) / (sg * sg);
            sum += sg * sg * r * r;
        }
        return sum / o.length;
    }

    /** dL/do_j = (1/(N·E)) 2σ² r · ds/do = −(2σ/(N·E)) (s + (x̃ − x)/σ²). */
    static double[] dsmGradient(double[] o, float[] x, float[] xt, double[] sigma, int per) {
        double[] g = new double[o.length];
        for (int j = 0; j < o.length; j++) {
            double sg = sigma[j / per];
            double s = -o[j] / sg;
            g[j] = -2 * sg * (s + ((double) xt[j] - x[j]) / (sg * sg)) / o.length;
        }
        return g;
    }

    @ParameterizedTest
    @ValueSource(strings = {"4x6x6x2", "3x5x7x1", "10x4x4x3"})
    void trainingLossIsTheWeightedDenoisingScoreMatchingLoss(String dims) {
        int[] shape = shape(dims);
        int n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        int batch = shape[0];
        int per = n / batch;
        int[] t = levels(batch);
        double[] sigma = new double[batch];
        for (int s = 0; s < batch; s++) {
            sigma[s] = LEVELS.sigma(t[s]);
        }
        for (double scale : new double[] {1.0, 0.25, 3.7}) {
            try (Context ctx = Context.create(Device.cpu(), 21);
                    Tensor x0 = Tensor.of(ctx, data(n), shape);
                    Tensor xt = Tensor.empty(ctx, shape).fill(Float.NaN);
                    Tensor eps = Tensor.empty(ctx, shape).fill(Float.NaN);
                    Tensor out = Tensor.empty(ctx, shape);
                    Tensor loss = Tensor.empty(ctx, 1).fill(Float.NaN);
                    Tensor dOut = Tensor.empty(ctx, shape).fill(Float.NaN)) {
                SM.qSample(ctx, xt, eps, x0, t);
                float[] z = eps.toArray();
                // a model output near the noise but not equal to it (never zeros)
                float[] o = new float[n];
                for (int j = 0; j < n; j++) {
                    o[j] = 0.7f * z[j] + 0.3f * (float) Math.sin(0.91 * j + 0.2);
                }
                out.copyFrom(o);
                Tensor target = SM.trainingTarget(ctx, null, x0, eps, t);
                SM.trainingLoss(ctx, loss, dOut, out, target, x0, xt, t, scale);

                float[] x = data(n);
                float[] xtv = xt.toArray();
                double[] od = new double[n];
                for (int j = 0; j < n; j++) {
                    od[j] = o[j];
                }
                double want = scale * dsmLoss(od, x, xtv, sigma, per);
                double[] g = dsmGradient(od, x, xtv, sigma, per);

                // The code evaluates ‖o − z‖²; the DSM formula sees (x̃ − x)/σ, which differs from z by
                // the float32 rounding of x̃ (|δ| ≤ (2u σ|z| + u|x̃|)/σ, plus u σ|z| for σ in float)
                // and the float difference o − z (u|o − z|). Per element err = 3u|z| + u|x̃|/σ +
                // 2u|o − z|; the loss then moves by at most (1/(NE)) Σ (2|r| err + err²), plus the
                // float rounding of the result and of the scale (2u).
                double bound = 0;
                double[] err = new double[n];
                for (int j = 0; j < n; j++) {
                    double sg = sigma[j / per];
                    double r = Math.abs(od[j] - ((double) xtv[j] - x[j]) / sg);
                    err[j] = 3 * U * Math.abs(z[j]) + U * Math.abs(xtv[j]) / sg + 2 * U * Math.abs((double) o[j] - z[j]);
                    bound += 2 * r * err[j] + err[j] * err[j];
                }
                bound = scale * bound / n + 2 * U * want;
                assertTrue(bound < 1e-4 * want, "the tolerance " + bound + " must be small beside the loss " + want);
                float got = loss.toArray()[0];
                assertEquals(want, got, bound, dims + " scale " + scale + ": loss " + got + " want " + want);

                // dOut against the analytic gradient of the same formula; per element the same δ
                // scaled by 2/(NE), plus a few u of the float arithmetic (2/numel, the scale)
                float[] d = dOut.toArray();
                for (int j = 0; j < n; j++) {
                    double gw = scale * g[j];
                    double tol = scale * 2 * err[j] / n + 4 * U * Math.abs(gw);
                    assertEquals(gw, d[j], tol, dims + " scale " + scale + " dOut[" + j + "]");
                }

                // and against central differences of the float64 loss on a few elements: the loss is
                // quadratic in o, so the difference is exact but for rounding (~1e-16 L / h)
                for (int j : new int[] {0, 1, per - 1, per, n / 2, n - 1}) {
                    double h = 1e-3;
                    double[] plus = od.clone();
                    double[] minus = od.clone();
                    plus[j] += h;
                    minus[j] -= h;
                    double fd = scale * (dsmLoss(plus, x, xtv, sigma, per) - dsmLoss(minus, x, xtv, sigma, per)) / (2 * h);
                    assertEquals(scale * g[j], fd, 1e-9 * Math.abs(fd) + 1e-14, "analytic vs FD at " + j);
                    double tol = scale * 2 * err[j] / n + 4 * U * Math.abs(fd) + 1e-12;
                    assertEquals(fd, d[j], tol, dims + " scale " + scale + " dOut[" + j + "] vs FD");
                }
            }
        }
    }

    /**
     * Hand-built inputs (x̃ made here in float64, the target z given): the code's loss is the DSM
     * loss, and the loss without the σ² weighting is far from it (the reference can tell them apart).
     */
    @Test
    void lossOnHandBuiltInputs() {
        int[] t = {0, 9};
        int per = 4;
        float[] x = {0.1f, -0.2f, 0.3f, 0.4f, 0.5f, 0.6f, -0.7f, 0.8f};
        float[] xt = new float[8];
        float[] z = new float[8];
        double[] o = new double[8];
        double[] sigma = {LEVELS.sigma(t[0]), LEVELS.sigma(t[1])};
        double unweighted = 0;
        for (int j = 0; j < 8; j++) {
            z[j] = (float) Math.cos(j + 0.5);
            xt[j] = (float) (x[j] + sigma[j / per] * z[j]);
            o[j] = 0.5 * z[j] + 0.1;
            double sg = sigma[j / per];
            double r = -o[j] / sg + ((double) xt[j] - x[j]) / (sg * sg);
            unweighted += r * r / 8;
        }
        double ref = dsmLoss(o, x, xt, sigma, per);
        try (Context ctx = Context.create(Device.cpu());
                Tensor out = Tensor.of(ctx, toFloat(o), 2, 2, 2, 1);
                Tensor target = Tensor.of(ctx, z, 2, 2, 2, 1);
                Tensor x0 = Tensor.of(ctx, x, 2, 2, 2, 1);
                Tensor xtT = Tensor.of(ctx, xt, 2, 2, 2, 1);
                Tensor loss = Tensor.empty(ctx, 1).fill(Float.NaN)) {
            SM.trainingLoss(ctx, loss, null, out, target, x0, xtT, t, 1.0);
            double got = loss.toArray()[0];
            // (x̃ − x)/σ at σ = 0.01 carries ~u|x̃|/σ ≈ 1e-5 of rounding against z: 1e-3 relative is ample
            assertEquals(ref, got, 1e-3 * ref);
            assertTrue(Math.abs(unweighted - ref) > 0.5 * ref, "unweighted " + unweighted + " vs " + ref);
        }
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    @Test
    void trainingLossRefusesBadScalesAndLevels() {
        try (Context ctx = Context.create(Device.cpu());
                Tensor a = Tensor.empty(ctx, 2, 3, 3, 1).fill(0.5f);
                Tensor b = Tensor.empty(ctx, 2, 3, 3, 1).fill(0.25f);
                Tensor loss = Tensor.empty(ctx, 1)) {
            int[] t = {0, 1};
            for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
                assertMessage(() -> SM.trainingLoss(ctx, loss, null, a, b, a, a, t, bad), "scale is " + bad);
            }
            assertMessage(() -> SM.trainingLoss(ctx, loss, null, a, b, a, a, new int[] {0, 10}, 1), "t[1] is 10");
            assertMessage(() -> SM.trainingLoss(ctx, loss, null, a, b, a, a, new int[] {0}, 1), "t has 1 levels");
            assertMessage(() -> SM.trainingTarget(ctx, null, a, b, new int[] {-1, 0}), "t[0] is -1");
        }
    }

    @Test
    void qSampleRefusesBadLevels() {
        try (Context ctx = Context.create(Device.cpu());
                Tensor x0 = Tensor.empty(ctx, 2, 4, 4, 1).fill(0.3f);
                Tensor xt = Tensor.empty(ctx, 2, 4, 4, 1);
                Tensor eps = Tensor.empty(ctx, 2, 4, 4, 1)) {
            assertMessage(() -> SM.qSample(ctx, xt, eps, x0, new int[] {0, 10}), "t[1] is 10");
            assertMessage(() -> SM.qSample(ctx, xt, eps, x0, new int[] {-5, 0}), "t[0] is -5");
            assertMessage(() -> SM.qSample(ctx, xt, eps, x0, new int[] {1, 2, 3}), "t has 3 levels");
            assertThrows(NullPointerException.class, () -> SM.qSample(ctx, xt, eps, x0, null));
        }
    }

    // ---- conditioning, the score, the shape --------------------------------------------------

    /** c_i = k(L − 1 − i), k = max(1, ⌊999/(L − 1)⌋): distinct, larger for larger σ, and within [0, 999] for L ≤ 1000. */
    @Test
    void modelTimestepIsDistinctAndGrowsWithSigma() {
        for (int l : new int[] {2, 3, 10, 232, 500, 999, 1000, 1001, 2311}) {
            ScoreMatching sm = new ScoreMatching(NoiseLevels.geometric(50, 0.01, l));
            assertEquals(l, sm.timesteps());
            int k = Math.max(1, 999 / (l - 1));
            for (int i = 0; i < l; i++) {
                int c = sm.modelTimestep(i);
                assertEquals(k * (l - 1 - i), c, "L=" + l + " i=" + i);
                if (i > 0) {
                    assertTrue(c < sm.modelTimestep(i - 1), "L=" + l + ": c must fall as sigma falls, at " + i);
                }
            }
            assertEquals(0, sm.modelTimestep(l - 1));
            if (l <= 1000) {
                // DDPM's range: the largest σ's value is within [500, 999] (⌊y⌋ > y/2 for y ≥ 1)
                assertTrue(sm.modelTimestep(0) <= 999 && sm.modelTimestep(0) >= 500, "L=" + l + ": " + sm.modelTimestep(0));
            } else {
                // more levels than DDPM's 1000 values: one apart, so they stay distinct and go past 999
                assertEquals(l - 1, sm.modelTimestep(0));
            }
            int ll = l;
            assertMessage(() -> sm.modelTimestep(ll), "noise level " + l);
            assertMessage(() -> sm.modelTimestep(-1), "noise level -1");
        }
        assertEquals(999, SM.modelTimestep(0));          // L = 10: k = 111
        assertEquals(111 * 4, SM.modelTimestep(5));
        ScoreMatching one = new ScoreMatching(NoiseLevels.of(0.7));
        assertEquals(0, one.modelTimestep(0));
    }

    /** s = −o/σ_{t[n]}: two float roundings (the coefficient, the product), so 3u relative per element. */
    @Test
    void scoreIsMinusTheOutputOverSigma() {
        int[] shape = {5, 3, 4, 2};
        int n = 120;
        int per = n / 5;
        int[] t = {9, 0, 4, 7, 2};
        float[] o = data(n);
        try (Context ctx = Context.create(Device.cpu());
                Tensor out = Tensor.of(ctx, o, shape);
                Tensor dst = Tensor.empty(ctx, shape).fill(Float.NaN)) {
            SM.score(ctx, dst, out, t);
            float[] s = dst.toArray();
            for (int j = 0; j < n; j++) {
                double want = -o[j] / LEVELS.sigma(t[j / per]);
                assertEquals(want, s[j], 3 * U * Math.abs(want), "element " + j);
            }
            assertArrayEquals(o, out.toArray(), "the output is not changed");
            assertMessage(() -> SM.score(ctx, dst, out, new int[] {0, 1, 2, 3, 10}), "t[4] is 10");
            assertMessage(() -> SM.score(ctx, dst, out, new int[] {0}), "t has 1 levels");
        }
    }

    @Test
    void outputShapeIsTheInputShape() {
        int[] in = {8, 28, 28, 1};
        int[] got = SM.outputShape(in);
        assertArrayEquals(new int[] {8, 28, 28, 1}, got);
        assertNotSame(in, got);
        got[0] = 3;
        assertEquals(8, in[0]);
        assertThrows(NullPointerException.class, () -> SM.outputShape(null));
    }

    // ---- metadata ----------------------------------------------------------------------------

    @Test
    void metadataRoundTripsExactly() {
        for (NoiseLevels l : new NoiseLevels[] {LEVELS, NoiseLevels.geometric(50, 0.01, 232), NoiseLevels.ncsnv2(90, 0.01, 12288),
            NoiseLevels.of(3, 2.5, 1e-3), NoiseLevels.of(0.7), NoiseLevels.of(Math.PI, Math.E, 1.0 / 3, 1e-300)}) {
            ScoreMatching sm = new ScoreMatching(l);
            Map<String, String> meta = sm.toMetadata();
            assertEquals(Integer.toString(l.levels()), meta.get("score.levels"));
            assertTrue(ScoreMatching.inMetadata(meta));
            TrainingProcess back = TrainingProcess.fromMetadata(meta);
            ScoreMatching direct = ScoreMatching.fromMetadata(meta);
            assertInstanceOf(ScoreMatching.class, back);
            assertEquals(sm, back);
            assertEquals(sm, direct);
            assertEquals(sm.hashCode(), back.hashCode());
            // bit for bit, not just equal within a tolerance
            assertArrayEquals(l.sigmas(), ((ScoreMatching) back).levels().sigmas(), 0.0);
        }
        assertNotEquals(new ScoreMatching(NoiseLevels.of(3, 2)), new ScoreMatching(NoiseLevels.of(3, 1)));
        // a Gaussian diffusion's metadata is not read as a score model
        Map<String, String> ddpm = GaussianDiffusion.of(NoiseSchedule.linear(1000)).toMetadata();
        assertFalse(ScoreMatching.inMetadata(ddpm));
        assertFalse(TrainingProcess.fromMetadata(ddpm) instanceof ScoreMatching);
    }

    @Test
    void malformedMetadataNamesTheKeyAndValue() {
        Map<String, String> good = new ScoreMatching(NoiseLevels.of(3, 2, 1)).toMetadata();
        assertMalformed(good, "score.sigmas", null, "lacks score.sigmas", false);
        assertMalformed(good, "score.levels", null, "lacks score.levels", true);
        assertMalformed(good, "score.levels", "three", "score.levels is \"three\"", true);
        assertMalformed(good, "score.levels", "4", "score.sigmas has 3 values but score.levels is 4", true);
        assertMalformed(good, "score.levels", "2", "score.sigmas has 3 values but score.levels is 2", true);
        assertMalformed(good, "score.sigmas", "3.0,x,1.0", "score.sigmas[1] is \"x\"", true);
        assertMalformed(good, "score.sigmas", "3.0,,1.0", "score.sigmas[1] is \"\"", true);
        assertMalformed(good, "score.sigmas", "3.0;2.0;1.0", "score.sigmas has 1 values", true);
        assertMalformed(good, "score.sigmas", "1.0,2.0,3.0", "sigma[1] is 2.0, not below sigma[0] = 1.0", true);
        assertMalformed(good, "score.sigmas", "3.0,2.0,2.0", "sigma[2] is 2.0", true);
        assertMalformed(good, "score.sigmas", "3.0,NaN,1.0", "sigma[1] is NaN", true);
        assertMalformed(good, "score.sigmas", "3.0,2.0,-1.0", "sigma[2] is -1.0", true);
        assertMalformed(good, "score.sigmas", "Infinity,2.0,1.0", "sigma[0] is Infinity", true);
        assertMalformed(good, "score.output", "x0", "score.output is \"x0\"", true);
        // the refusals from NoiseLevels keep the key in front
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ScoreMatching.fromMetadata(with(good, "score.sigmas", "1,2,3")));
        assertTrue(e.getMessage().startsWith("score.sigmas: "), e.getMessage());
    }

    private static Map<String, String> with(Map<String, String> meta, String key, String value) {
        Map<String, String> m = new LinkedHashMap<>(meta);
        if (value == null) {
            m.remove(key);
        } else {
            m.put(key, value);
        }
        return m;
    }

    /** Both readers refuse it; through TrainingProcess only while score.sigmas is there to route it. */
    private static void assertMalformed(Map<String, String> good, String key, String value, String part, boolean routed) {
        Map<String, String> m = with(good, key, value);
        assertMessage(() -> ScoreMatching.fromMetadata(m), part);
        if (routed) {
            assertMessage(() -> TrainingProcess.fromMetadata(m), part);
        }
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable call, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), "message \"" + e.getMessage() + "\" lacks \"" + part + "\"");
    }
}
