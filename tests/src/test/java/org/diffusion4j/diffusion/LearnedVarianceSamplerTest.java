package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntToDoubleFunction;
import java.util.stream.Stream;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Sampling with Improved DDPM's learned variance, against closed forms for Gaussian data
 * x_0 ~ N(μ, s²): the exact model of both the mean and the variance (its raw output chosen so that
 * Σ_θ is the true Var(x_{t−1} | x_t)) makes every step affine plus Gaussian noise, so the
 * sample's moments follow from the plan propagated in float64 (full and respaced chains; ε and
 * v models). On the full chain the exact model reproduces the data distribution itself, which the
 * fixed variances only approximate. A sampler that ignores the variance output is rejected.
 */
class LearnedVarianceSamplerTest {
    static final NoiseSchedule LINEAR = NoiseSchedule.linear(1000);
    static final int[] SHAPE = {200, 10, 20, 1};
    static final double Z = 4.0;
    static final IntToDoubleFunction EXACT = t -> GaussianData.exactRaw(LINEAR, t);

    static GaussianDiffusion learned(ModelOutput kind) {
        return GaussianDiffusion.of(LINEAR).withOutput(kind).withVariance(VarianceType.LEARNED_RANGE)
                .withLoss(LossType.HYBRID);
    }

    static Stream<Arguments> chains() {
        List<Arguments> a = new ArrayList<>();
        for (ModelOutput kind : new ModelOutput[] {ModelOutput.EPSILON, ModelOutput.V}) {
            for (int s : new int[] {1000, 100, 50, 25}) {
                a.add(Arguments.of(kind, s));
            }
        }
        return a.stream();
    }

    static float[] sample(Sampler sampler, Denoiser model, long seed) {
        try (Context ctx = Context.create(Device.cpu())) {
            return GaussianData.sampleByHand(ctx, sampler, model, SHAPE, SampleNoise.of(seed, SHAPE[0]));
        }
    }

    @ParameterizedTest(name = "{0} S={1}")
    @MethodSource("chains")
    void theExactModelMatchesTheExactChain(ModelOutput kind, int steps) {
        Sampler sampler = new DdpmSampler(learned(kind), steps, Spacing.LINSPACE, 0, false);
        double[] exact = GaussianData.propagateLearned(sampler, kind, EXACT);
        float[] x = sample(sampler, GaussianData.learnedModel(LINEAR, kind, EXACT), 100L * steps + kind.ordinal());
        double[] z = GaussianData.zScores(x, exact);
        System.out.printf("learned %s S=%d: exact mean %.4f var %.4f; z %.2f, %.2f%n", kind, steps, exact[0], exact[1], z[0],
                z[1]);
        assertTrue(z[0] < Z && z[1] < Z, sampler + ": moments " + z[0] + " and " + z[1] + " standard errors away");
    }

    /**
     * With the true reverse variance the full chain lands on the data: mean μ and variance s² less
     * the last step's unsampled Var(x_0 | x at index 0) (about 1e-4), far closer than either fixed
     * variance gets.
     */
    @Test
    void theExactFullChainReproducesTheData() {
        double[] m = GaussianData.propagateLearned(DdpmSampler.of(learned(ModelOutput.EPSILON)), ModelOutput.EPSILON, EXACT);
        System.out.printf("exact learned full chain: mean %.6f var %.6f (data %.4f, %.4f)%n", m[0], m[1], GaussianData.MU,
                GaussianData.S2);
        assertEquals(GaussianData.MU, m[0], 1e-3 * GaussianData.MU);
        assertEquals(GaussianData.S2, m[1], 2e-3 * GaussianData.S2);
        for (VarianceType v : new VarianceType[] {VarianceType.FIXED_BETA, VarianceType.FIXED_BETA_TILDE}) {
            double[] f = GaussianData.propagate(DdpmSampler.of(GaussianDiffusion.of(LINEAR).withVariance(v)),
                    ModelOutput.EPSILON, 0, 0, 1);
            System.out.printf("%s full chain: var %.6f%n", v.id(), f[1]);
            assertTrue(Math.abs(f[1] - GaussianData.S2) > 3 * Math.abs(m[1] - GaussianData.S2), v.id());
        }
    }

    /** The variance output dropped (raw = −1 everywhere, i.e. σ² = β̃) is caught on a respaced chain. */
    @Test
    void aSamplerIgnoringTheVarianceIsRejected() {
        Sampler sampler = new DdpmSampler(learned(ModelOutput.EPSILON), 25, Spacing.LINSPACE, 0, false);
        double[] exact = GaussianData.propagateLearned(sampler, ModelOutput.EPSILON, EXACT);
        float[] x = sample(sampler, GaussianData.learnedModel(LINEAR, ModelOutput.EPSILON, t -> -1.0), 5);
        double[] z = GaussianData.zScores(x, exact);
        System.out.printf("learned S=25 with the variance ignored: z %.1f, %.1f%n", z[0], z[1]);
        assertTrue(z[1] > 20, "ignoring the variance output must be detected; variance z = " + z[1]);
    }

    /** DDIM runs from the mean half of a learned-variance output and ignores the variance half. */
    @Test
    void ddimUsesTheMeanHalf() {
        GaussianDiffusion d = learned(ModelOutput.EPSILON);
        Sampler ddim = new DdimSampler(d, 50, 1.0, Spacing.TRAILING, 0, false);
        Sampler plain = new DdimSampler(GaussianDiffusion.of(LINEAR), 50, 1.0, Spacing.TRAILING, 0, false);
        float[] a = sample(ddim, GaussianData.learnedModel(LINEAR, ModelOutput.EPSILON, t -> 0.7), 9);
        float[] b = sample(plain, GaussianData.model(LINEAR, ModelOutput.EPSILON), 9);
        assertEquals(0.0, maxAbsDiff(a, b), 0.0, "the same samples as the fixed-variance model's");
    }

    @Test
    void aNarrowOutputIsNamed() {
        Sampler s = new DdpmSampler(learned(ModelOutput.EPSILON), 10, Spacing.LINSPACE, 0, false);
        assertEquals(2, s.outputShape(SHAPE)[3]);
        try (Context ctx = Context.create(Device.cpu()); Tensor x = Tensor.empty(ctx, 2, 3, 3, 1).fill(0.5f);
                Tensor out = Tensor.empty(ctx, 2, 3, 3, 1).fill(0.1f)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> s.step(ctx, 0, x, x, out, null, SampleNoise.of(1, 2)));
            assertTrue(e.getMessage().contains("[2, 3, 3, 2]"), e.getMessage());
        }
    }

    static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
