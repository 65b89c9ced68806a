package org.diffusion4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.stream.Stream;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.GaussianDiffusion;
import org.diffusion4j.diffusion.GaussianLosses;
import org.diffusion4j.diffusion.ModelOutput;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.diffusion.VarianceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The variational bound (its KL and decoder are checked in GaussianLossesTest): the whole bound
 * for fixed 8-bit x_0 and the exact affine denoiser of Gaussian data (ε, x_0 and v versions, σ² =
 * β and β̃) against the analytic sum of its terms, where the expectation over x_t of each KL has
 * a closed form (the KL's means differ by c0 (x_0 − x̂_0), affine in the Gaussian noise) and the
 * decoder's is a one-dimensional Simpson integral; a hand-worked deterministic two-step case
 * whose decoder scores exactly 8 bits/dim; the stratified estimator's standard error against the
 * full sum; and the bound computed with the KL's variances swapped, which the same comparison
 * rejects.
 */
class VariationalBoundTest {
    static final double MU = 0.4;
    static final double S2 = 0.25;
    static final double LN2 = Math.log(2);
    static final int[] SHAPE = {8, 8, 1};
    static final int IMAGES = 96;

    // ---- the exact model of Gaussian data, and the analytic bound -------------------------------

    /**
     * The exact denoiser for x_0 ~ N(MU, S2) per element, as kind {@code kind}: E[x_0 | x_t] =
     * MU + g (x_t − √ᾱ MU), g = √ᾱ S2 / (ᾱ S2 + 1 − ᾱ); ε = (x_t − √ᾱ x̂_0)/√(1−ᾱ); v = √ᾱ ε − √(1−ᾱ) x̂_0.
     */
    static Denoiser exactModel(NoiseSchedule s, ModelOutput kind) {
        return (ctx, out, x, t, labels) -> {
            float[] v = x.toArray();
            int per = v.length / t.length;
            for (int i = 0; i < v.length; i++) {
                double ab = s.alphaBar(t[i / per]);
                double[] f = x0Affine(ab);
                double x0 = f[0] * v[i] + f[1];
                double eps = (v[i] - Math.sqrt(ab) * x0) / Math.sqrt(1 - ab);
                v[i] = (float) switch (kind) {
                    case X0 -> x0;
                    case EPSILON -> eps;
                    case V -> Math.sqrt(ab) * eps - Math.sqrt(1 - ab) * x0;
                };
            }
            out.copyFrom(v);
        };
    }

    /** {a, b} of the exact x̂_0 = a x_t + b. */
    static double[] x0Affine(double ab) {
        double g = Math.sqrt(ab) * S2 / (ab * S2 + 1 - ab);
        return new double[] {g, MU - g * Math.sqrt(ab) * MU};
    }

    /** 8-bit images: one quantised draw of N(MU, S2) per element, the same for every image. */
    static float[][] gaussianImages(long seed, int n, int dim) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] one = new float[dim];
        for (int e = 0; e < dim; e++) {
            double x = MU + Math.sqrt(S2) * r.nextGaussian();
            long k = Math.max(0, Math.min(255, Math.round((x + 1) * 127.5)));
            one[e] = (float) (-1 + 2.0 * k / 255);
        }
        float[][] im = new float[n][];
        for (int i = 0; i < n; i++) {
            im[i] = one.clone();
        }
        return im;
    }

    /** The KL between the posterior N(m1, v1) and the model's N(m2, v2): the right one, or a wrong variant. */
    interface Kl {
        double of(double m1, double v1, double m2, double v2);
    }

    static final Kl RIGHT_KL = (m1, v1, m2, v2) -> 0.5 * (Math.log(v2 / v1) + v1 / v2 - 1 + (m1 - m2) * (m1 - m2) / v2);
    static final Kl SWAPPED_KL = (m1, v1, m2, v2) -> RIGHT_KL.of(m1, v2, m2, v1);

    /**
     * {prior, decoder, kl} of one image in nats, from the schedule's β alone (every coefficient
     * recomputed here): E over ε of the KL at t is that of its mean part, c0² E[(x̂_0 − x_0)²] with
     * x̂_0 − x_0 = m + sε, m = (a√ᾱ − 1) x_0 + b, s = a √(1−ᾱ), so E = m² + s²; a KL whose
     * variance part does not involve the means is the KL at equal means plus c0² (m² + s²)/(2v₂),
     * written through {@code kl} at mean difference 0 and √(m² + s²) (both variants are quadratic
     * in the mean difference).
     */
    static double[] analyticBound(NoiseSchedule s, VarianceType variance, float[] x0, Kl kl) {
        return analyticBound(s, variance, x0, kl, VariationalBoundTest::x0Affine);
    }

    /** As above for any model whose x̂_0 = a x_t + b, {a, b} = {@code affine}(ᾱ_t). */
    static double[] analyticBound(NoiseSchedule s, VarianceType variance, float[] x0, Kl kl,
            java.util.function.DoubleFunction<double[]> affine) {
        double[] ab = alphaBars(s);
        double[] betas = s.betas();
        double tilde1 = betas[1] * (1 - ab[0]) / (1 - ab[1]);
        return analyticBound(s, t -> t == 0 ? Math.log(tilde1) : Math.log(variance == VarianceType.FIXED_BETA ? betas[t]
                : betas[t] * (1 - ab[t - 1]) / (1 - ab[t])), x0, kl, affine);
    }

    static double[] alphaBars(NoiseSchedule s) {
        double[] betas = s.betas();
        double[] ab = new double[betas.length];
        double prod = 1;
        for (int t = 0; t < betas.length; t++) {
            prod *= 1 - betas[t];
            ab[t] = prod;
        }
        return ab;
    }

    /** As above with the model's log-variance at t given by {@code logVar} (the decoder's at t = 0). */
    static double[] analyticBound(NoiseSchedule s, java.util.function.IntToDoubleFunction logVar, float[] x0, Kl kl,
            java.util.function.DoubleFunction<double[]> affine) {
        int n = s.timesteps();
        double[] betas = s.betas();
        double[] ab = alphaBars(s);
        double prior = 0;
        for (float x : x0) {
            double v = 1 - ab[n - 1];
            double m = Math.sqrt(ab[n - 1]) * x;
            prior += 0.5 * (-1 - Math.log(v) + v + m * m);
        }
        double klSum = 0;
        for (int t = 1; t < n; t++) {
            double abPrev = ab[t - 1];
            double tilde = betas[t] * (1 - abPrev) / (1 - ab[t]);
            double c0 = betas[t] * Math.sqrt(abPrev) / (1 - ab[t]);
            double sigma2 = Math.exp(logVar.applyAsDouble(t));
            double[] f = affine.apply(ab[t]);
            for (float x : x0) {
                double m = (f[0] * Math.sqrt(ab[t]) - 1) * x + f[1];
                double sd = f[0] * Math.sqrt(1 - ab[t]);
                klSum += kl.of(0, tilde, c0 * Math.sqrt(m * m + sd * sd), sigma2);
            }
        }
        // decoder: x̂_0 = a x_0' + b at index 0, x_0' = √ᾱ₀ x_0 + √(1 − ᾱ₀) ε; mean c0 x̂_0 (c0 = 1, c1 = 0 at index 0)
        double[] f = affine.apply(ab[0]);
        double decoder = 0;
        for (float x : x0) {
            int steps = 2000;
            double lim = 10;
            double h = 2 * lim / steps;
            double sum = 0;
            for (int i = 0; i <= steps; i++) {
                double eps = -lim + i * h;
                double xt = Math.sqrt(ab[0]) * x + Math.sqrt(1 - ab[0]) * eps;
                double mean = f[0] * xt + f[1];
                double nll = -GaussianLosses.discretizedLogLikelihood(x, mean, 0.5 * logVar.applyAsDouble(0));
                sum += nll * Math.exp(-0.5 * eps * eps) / Math.sqrt(2 * Math.PI) * (i == 0 || i == steps ? 1 : i % 2 == 1 ? 4 : 2);
            }
            decoder += sum * h / 3;
        }
        return new double[] {prior, decoder, klSum};
    }

    static Stream<Arguments> parameterisations() {
        List<Arguments> a = new ArrayList<>();
        for (ModelOutput kind : ModelOutput.values()) {
            for (VarianceType v : new VarianceType[] {VarianceType.FIXED_BETA, VarianceType.FIXED_BETA_TILDE}) {
                a.add(Arguments.of(kind, v));
            }
        }
        return a.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("parameterisations")
    void gaussianDataMatchesTheAnalyticBound(ModelOutput kind, VarianceType variance) {
        NoiseSchedule s = NoiseSchedule.linear(100);
        GaussianDiffusion d = GaussianDiffusion.of(s).withOutput(kind).withVariance(variance);
        int dim = SHAPE[0] * SHAPE[1] * SHAPE[2];
        float[][] images = gaussianImages(1, IMAGES, dim);
        VariationalBound.Result r;
        try (Context ctx = Context.create(Device.cpu())) {
            r = VariationalBound.bitsPerDim(ctx, exactModel(s, kind), d, images, SHAPE, null, 10, 0, 7, null);
        }
        double[] parts = analyticBound(s, variance, images[0], RIGHT_KL);
        double toBits = 1 / (dim * LN2);
        double want = (parts[0] + parts[1] + parts[2]) * toBits;
        double z = Math.abs(r.bitsPerDim() - want) / r.standardError();
        System.out.printf("%s %s: %.6f ± %.6f bits/dim (prior %.6f, decoder %.6f, KL %.6f); analytic %.6f (%.6f, %.6f, %.6f),"
                + " z %.2f%n", kind, variance, r.bitsPerDim(), r.standardError(), r.priorBpd(), r.decoderBpd(), r.klBpd(), want,
                parts[0] * toBits, parts[1] * toBits, parts[2] * toBits, z);
        assertEquals(IMAGES * 100L, r.termsEvaluated());
        assertEquals(r.bitsPerDim(), r.priorBpd() + r.decoderBpd() + r.klBpd(), 1e-12);
        assertEquals(parts[0] * toBits, r.priorBpd(), 1e-12, "the prior term has no noise");
        assertTrue(r.standardError() < 0.01 * want, "standard error " + r.standardError());
        assertTrue(z < 4, "bound " + r.bitsPerDim() + " is " + z + " standard errors from the analytic " + want);
        // each part's noise is part of the total's (the noise of different terms is independent)
        assertEquals(parts[1] * toBits, r.decoderBpd(), 4 * r.standardError());
        assertEquals(parts[2] * toBits, r.klBpd(), 4 * r.standardError());
    }

    /**
     * A learned-variance model (the exact mean, and a raw variance output that varies with t and
     * leaves [−1, 1] at some t) against the analytic bound with Σ_θ = exp(f log β_t + (1 − f) log β̃_t),
     * f = (r + 1)/2, β̃ at index 1 standing for β̃ at 0, written here from the schedule's β.
     */
    @Test
    void learnedVarianceMatchesTheAnalyticBound() {
        NoiseSchedule s = NoiseSchedule.linear(100);
        GaussianDiffusion d = GaussianDiffusion.of(s).withVariance(VarianceType.LEARNED_RANGE);
        java.util.function.IntToDoubleFunction raw = t -> (float) (1.3 * Math.sin(0.07 * t + 0.4)); // as the model's float
        double[] ab = alphaBars(s);
        double[] betas = s.betas();
        java.util.function.IntToDoubleFunction logVar = t -> {
            double max = Math.log(betas[t]);
            double min = Math.log(t == 0 ? betas[1] * (1 - ab[0]) / (1 - ab[1]) : betas[t] * (1 - ab[t - 1]) / (1 - ab[t]));
            double f = 0.5 * (raw.applyAsDouble(t) + 1);
            return f * max + (1 - f) * min;
        };
        Denoiser mean = exactModel(s, ModelOutput.EPSILON);
        Denoiser model = (ctx, out, x, t, labels) -> {
            float[] m;
            try (org.diffusion4j.Tensor half = org.diffusion4j.Tensor.empty(ctx, x.shape())) {
                mean.predict(ctx, half, x, t, labels);
                m = half.toArray();
            }
            float[] o = new float[2 * m.length];
            int per = m.length / t.length;
            for (int i = 0; i < m.length; i++) { // one channel: per pixel the mean output, then the raw variance
                o[2 * i] = m[i];
                o[2 * i + 1] = (float) raw.applyAsDouble(t[i / per]);
            }
            out.copyFrom(o);
        };
        int dim = SHAPE[0] * SHAPE[1] * SHAPE[2];
        float[][] images = gaussianImages(1, IMAGES, dim);
        VariationalBound.Result r;
        try (Context ctx = Context.create(Device.cpu())) {
            r = VariationalBound.bitsPerDim(ctx, model, d, images, SHAPE, null, 10, 0, 7, null);
        }
        double[] parts = analyticBound(s, logVar, images[0], RIGHT_KL, VariationalBoundTest::x0Affine);
        double want = (parts[0] + parts[1] + parts[2]) / (dim * LN2);
        double z = Math.abs(r.bitsPerDim() - want) / r.standardError();
        System.out.printf("learned variance: %.6f ± %.6f bits/dim; analytic %.6f, z %.2f%n", r.bitsPerDim(),
                r.standardError(), want, z);
        assertTrue(z < 4, "bound " + r.bitsPerDim() + " is " + z + " standard errors from the analytic " + want);
        double[] fixed = analyticBound(s, VarianceType.FIXED_BETA_TILDE, images[0], RIGHT_KL);
        double fixedBpd = (fixed[0] + fixed[1] + fixed[2]) / (dim * LN2);
        assertTrue(Math.abs(fixedBpd - want) / r.standardError() > 20, "the test must tell the variances apart");
    }

    @Test
    void theKlWithSwappedVariancesIsRejected() {
        NoiseSchedule s = NoiseSchedule.linear(100);
        GaussianDiffusion d = GaussianDiffusion.of(s).withVariance(VarianceType.FIXED_BETA);
        int dim = SHAPE[0] * SHAPE[1] * SHAPE[2];
        float[][] images = gaussianImages(1, IMAGES, dim);
        VariationalBound.Result r;
        try (Context ctx = Context.create(Device.cpu())) {
            r = VariationalBound.bitsPerDim(ctx, exactModel(s, ModelOutput.EPSILON), d, images, SHAPE, null, 10, 0, 7, null);
        }
        double[] wrong = analyticBound(s, VarianceType.FIXED_BETA, images[0], SWAPPED_KL);
        double wrongBpd = (wrong[0] + wrong[1] + wrong[2]) / (dim * LN2);
        double z = Math.abs(r.bitsPerDim() - wrongBpd) / r.standardError();
        System.out.printf("swapped-variance KL: %.6f bits/dim vs the code's %.6f ± %.6f (z %.1f)%n", wrongBpd, r.bitsPerDim(),
                r.standardError(), z);
        assertTrue(z > 20, "the wrong variant should be far outside the bound's error");
    }

    // ---- a hand-worked case ----------------------------------------------------------------------

    /** erf by its Maclaurin series (small arguments only), independent of {@link org.diffusion4j.diffusion.StandardNormal}. */
    static double erfSmall(double x) {
        double sum = 0;
        double term = x;
        for (int n = 0; n < 30; n++) {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    @Test
    void handWorkedTwoStepChainScoresEightBitsInItsDecoder() {
        // T = 2 with β₀ = β₁ = b: β̃₁ = b/(2 − b). A constant x_0-model (x̂_0 = c) on images equal to
        // c makes every term deterministic: the KL's means agree, the decoder's mean is c.
        // Choose b so that the decoder gives c's bin mass erf(h/(σ√2)) = 1/256 (h = 1/255, σ² = β̃₁):
        // then L_0 is exactly 8 bits per dimension.
        double lo = 0.5;
        double hi = 0.99;
        for (int i = 0; i < 200; i++) { // the mass falls as σ grows, and σ grows with b
            double b = 0.5 * (lo + hi);
            double sigma = Math.sqrt(b / (2 - b));
            if (erfSmall(1.0 / 255 / (sigma * Math.sqrt(2))) > 1.0 / 256) {
                lo = b;
            } else {
                hi = b;
            }
        }
        double b = 0.5 * (lo + hi);
        NoiseSchedule s = NoiseSchedule.ofBetas(new double[] {b, b});
        float c = (float) (-1 + 2.0 * 100 / 255);
        int[] shape = {2, 2, 1};
        float[][] images = {{c, c, c, c}, {c, c, c, c}, {c, c, c, c}};
        Denoiser constant = (ctx, out, x, t, labels) -> out.fill(c);
        for (VarianceType v : new VarianceType[] {VarianceType.FIXED_BETA_TILDE, VarianceType.FIXED_BETA}) {
            GaussianDiffusion d = GaussianDiffusion.of(s).withOutput(ModelOutput.X0).withVariance(v);
            VariationalBound.Result r;
            try (Context ctx = Context.create(Device.cpu())) {
                r = VariationalBound.bitsPerDim(ctx, constant, d, images, shape, null, 2, 0, 3, null);
            }
            double ab1 = (1 - b) * (1 - b);
            double prior = 0.5 * (-1 - Math.log(1 - ab1) + (1 - ab1) + ab1 * c * c) / LN2; // per dimension
            double tilde = b / (2 - b);
            double kl = v == VarianceType.FIXED_BETA ? 0.5 * (Math.log(b / tilde) + tilde / b - 1) / LN2 : 0;
            System.out.printf("two-step chain, %s: %.12f bits/dim = prior %.12f + decoder %.12f + KL %.12f (hand: %.12f, 8, %.12f)%n",
                    v, r.bitsPerDim(), r.priorBpd(), r.decoderBpd(), r.klBpd(), prior, kl);
            assertEquals(8.0, r.decoderBpd(), 1e-9);
            assertEquals(prior, r.priorBpd(), 1e-12);
            assertEquals(kl, r.klBpd(), 1e-9);
            assertEquals(prior + 8 + kl, r.bitsPerDim(), 1e-9);
            assertEquals(0.0, r.standardError(), 1e-12, "identical images, deterministic terms");
        }
        assertEquals(8.0, VariationalBound.toBitsPerDim(784 * Math.log(256), 784), 1e-15);
    }

    // ---- the stratified estimator ----------------------------------------------------------------

    @Test
    void stratifiedStandardErrorCoversTheFullSum() {
        // 40 seeds of the 10-stratum estimate (11 terms per image instead of 200): each z against
        // the analytic bound (the expectation of the full sum), their mean, and one against a full sum
        NoiseSchedule s = NoiseSchedule.linear(200);
        GaussianDiffusion d = GaussianDiffusion.of(s);
        int[] shape = {4, 4, 1};
        float[][] images = gaussianImages(2, 64, 16);
        Denoiser model = exactModel(s, ModelOutput.EPSILON);
        double[] parts = analyticBound(s, VarianceType.FIXED_BETA_TILDE, images[0], RIGHT_KL);
        double exact = (parts[0] + parts[1] + parts[2]) / (16 * LN2);
        try (Context ctx = Context.create(Device.cpu())) {
            VariationalBound.Result full = VariationalBound.bitsPerDim(ctx, model, d, images, shape, null, 64, 0, 11, null);
            int seeds = 40;
            double sumZ2 = 0;
            double sumEstimates = 0;
            double sumVar = 0;
            double maxZ = 0;
            VariationalBound.Result first = null;
            for (int seed = 0; seed < seeds; seed++) {
                VariationalBound.Result r = VariationalBound.bitsPerDim(ctx, model, d, images, shape, null, 64, 10, 100 + seed,
                        null);
                first = first == null ? r : first;
                assertEquals(64L * 11, r.termsEvaluated());
                assertEquals(10, r.strata());
                double z = (r.bitsPerDim() - exact) / r.standardError();
                sumZ2 += z * z;
                maxZ = Math.max(maxZ, Math.abs(z));
                sumEstimates += r.bitsPerDim();
                sumVar += r.standardError() * r.standardError();
            }
            double meanZ = (sumEstimates / seeds - exact) / Math.sqrt(sumVar / seeds / seeds);
            double zFull = (first.bitsPerDim() - full.bitsPerDim()) / Math.hypot(first.standardError(), full.standardError());
            System.out.printf("analytic %.5f bits/dim; full sum %.5f ± %.5f; 10 strata over %d seeds: mean z² %.2f, max |z| %.2f,"
                    + " mean estimate %.5f (z %.2f), typical standard error %.5f; one against the full sum: z %.2f%n", exact,
                    full.bitsPerDim(), full.standardError(), seeds, sumZ2 / seeds, maxZ, sumEstimates / seeds, meanZ,
                    Math.sqrt(sumVar / seeds), zFull);
            assertTrue(Math.abs(full.bitsPerDim() - exact) < 4 * full.standardError(), "the full sum");
            assertTrue(Math.abs(zFull) < 4, "a stratified estimate is " + zFull + " standard errors from the full sum");
            assertTrue(maxZ < 4.5, "a stratified estimate is " + maxZ + " standard errors from the bound");
            assertTrue(sumZ2 / seeds < 1.8, "standard errors too small: mean z² " + sumZ2 / seeds);
            assertTrue(Math.abs(meanZ) < 4, "the stratified estimator looks biased: z " + meanZ);
            assertTrue(Math.sqrt(sumVar / seeds) > full.standardError(), "subsampling timesteps adds variance");
        }
    }

    @Test
    void geometricStrataCoverEveryTimestepOnce() {
        for (int[] tk : new int[][] {{200, 10}, {1000, 50}, {1000, 999}, {2, 1}, {30, 29}, {4000, 7}}) {
            int[] lo = VariationalBound.strataStarts(tk[0], tk[1]);
            assertEquals(1, lo[0]);
            for (int k = 1; k < lo.length; k++) {
                assertTrue(lo[k] > lo[k - 1], "strata " + java.util.Arrays.toString(lo));
            }
            assertTrue(lo[lo.length - 1] < tk[0]);
        }
        assertEquals("[1, 2, 3, 5, 8, 14, 24, 41, 69, 118]", java.util.Arrays.toString(VariationalBound.strataStarts(200, 10)));
    }

    @Test
    void batchSizeDoesNotChangeTheResult() {
        NoiseSchedule s = NoiseSchedule.linear(50);
        GaussianDiffusion d = GaussianDiffusion.of(s).withOutput(ModelOutput.V);
        int[] shape = {4, 4, 1};
        float[][] images = gaussianImages(3, 13, 16);
        images[5][3] = -1f; // not all identical
        Denoiser model = exactModel(s, ModelOutput.V);
        try (Context ctx = Context.create(Device.cpu())) {
            for (int strata : new int[] {0, 7}) {
                VariationalBound.Result a = VariationalBound.bitsPerDim(ctx, model, d, images, shape, null, 13, strata, 5, null);
                VariationalBound.Result b = VariationalBound.bitsPerDim(ctx, model, d, images, shape, null, 4, strata, 5, null);
                VariationalBound.Result c = VariationalBound.bitsPerDim(ctx, model, d, images, shape, null, 4, strata, 6, null);
                assertEquals(a, b, "batch 13 and batch 4");
                assertTrue(a.bitsPerDim() != c.bitsPerDim(), "another seed draws other noise");
            }
        }
    }

    // ---- API behaviour ---------------------------------------------------------------------------

    @Test
    void progressIsReportedAndCanCancel() {
        NoiseSchedule s = NoiseSchedule.linear(30);
        GaussianDiffusion d = GaussianDiffusion.of(s);
        int[] shape = {2, 2, 1};
        float[][] images = gaussianImages(4, 5, 4);
        Denoiser model = exactModel(s, ModelOutput.EPSILON);
        List<long[]> calls = new ArrayList<>();
        try (Context ctx = Context.create(Device.cpu())) {
            VariationalBound.bitsPerDim(ctx, model, d, images, shape, null, 2, 0, 1, (done, total) -> {
                calls.add(new long[] {done, total});
                return true;
            });
            assertEquals(75, calls.size()); // 150 terms in batches of 2
            assertEquals(150, calls.get(calls.size() - 1)[0]);
            for (int i = 1; i < calls.size(); i++) {
                assertTrue(calls.get(i)[0] > calls.get(i - 1)[0] && calls.get(i)[1] == 150);
            }
            int[] seen = {0};
            assertThrows(CancellationException.class,
                    () -> VariationalBound.bitsPerDim(ctx, model, d, images, shape, null, 2, 0, 1, (done, total) -> ++seen[0] < 4));
            assertEquals(4, seen[0]);
        }
    }

    @Test
    void eachImageGetsItsLabel() {
        // image i is flat at level 40 i and has label 10 + i; at index 0 (x_t within ~0.06 of x_0) the
        // model can tell which image each sample is from its mean and check the label it was given
        NoiseSchedule s = NoiseSchedule.linear(30);
        GaussianDiffusion d = GaussianDiffusion.of(s);
        int[] shape = {2, 2, 1};
        float[][] images = new float[5][4];
        int[] labels = new int[5];
        for (int i = 0; i < 5; i++) {
            java.util.Arrays.fill(images[i], (float) (-1 + 2.0 * 40 * i / 255));
            labels[i] = 10 + i;
        }
        Denoiser exact = exactModel(s, ModelOutput.EPSILON);
        List<String> bad = new ArrayList<>();
        int[] checked = {0};
        try (Context ctx = Context.create(Device.cpu())) {
            VariationalBound.bitsPerDim(ctx, (c, out, x, t, y) -> {
                float[] v = x.toArray();
                for (int j = 0; j < t.length; j++) {
                    if (t[j] == 0) {
                        double m = (v[4 * j] + v[4 * j + 1] + v[4 * j + 2] + v[4 * j + 3]) / 4;
                        long image = Math.round((m + 1) * 255 / 80);
                        checked[0]++;
                        if (y[j] != 10 + image) {
                            bad.add("sample " + j + " looks like image " + image + " but has label " + y[j]);
                        }
                    }
                }
                exact.predict(c, out, x, t, y);
            }, d, images, shape, labels, 2, 4, 1, null);
        }
        assertEquals(5, checked[0]);
        assertTrue(bad.isEmpty(), bad.toString());
    }

    @Test
    void refusesMismatchedModelsAndBadInput() {
        NoiseSchedule s = NoiseSchedule.linear(30);
        int[] shape = {2, 2, 1};
        float[][] images = gaussianImages(4, 5, 4);
        Denoiser model = exactModel(s, ModelOutput.EPSILON);
        GaussianDiffusion d = GaussianDiffusion.of(s);
        try (Context ctx = Context.create(Device.cpu())) {
            // a learned-variance process asks the model for 2C channels: a C-channel model cannot fill them
            assertThrows(org.diffusion4j.D4jException.class,
                    () -> VariationalBound.bitsPerDim(ctx, model, d.withVariance(VarianceType.LEARNED_RANGE), images, shape, null,
                            2, 0, 1, null));
            assertThrows(IllegalArgumentException.class,
                    () -> VariationalBound.bitsPerDim(ctx, model, d, images, new int[] {2, 3, 1}, null, 2, 0, 1, null));
            assertThrows(IllegalArgumentException.class,
                    () -> VariationalBound.bitsPerDim(ctx, model, d, images, shape, new int[] {1}, 2, 0, 1, null));
            assertThrows(IllegalArgumentException.class,
                    () -> VariationalBound.bitsPerDim(ctx, model, d, images, shape, null, 0, 0, 1, null));
            assertThrows(IllegalArgumentException.class,
                    () -> VariationalBound.bitsPerDim(ctx, model, d, images, shape, null, 2, 30, 1, null)); // > T − 1
            float[][] outOfRange = {{0, 0, 1.5f, 0}};
            assertThrows(IllegalArgumentException.class,
                    () -> VariationalBound.bitsPerDim(ctx, model, d, outOfRange, shape, null, 2, 0, 1, null));
            assertThrows(IllegalArgumentException.class, () -> VariationalBound.bitsPerDim(ctx, model,
                    GaussianDiffusion.of(NoiseSchedule.ofBetas(new double[] {0.5})), images, shape, null, 2, 0, 1, null));
        }
    }
}
