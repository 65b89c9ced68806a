package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every sampler, through the public step API, against the exact discrete chain: for Gaussian
 * data and the exact model (ε, x_0 and v versions each) every step is affine in x plus Gaussian
 * noise, so the output's mean and variance follow from the plan's coefficients propagated in
 * float64. The empirical moments of 40,000 draws must lie within 4 standard errors. Deliberately
 * wrong samplers (noise dropped, a model of the wrong parameterisation) must be rejected by the
 * same check, and the exact chains of the three parameterisations must coincide.
 */
class ClosedFormSamplerTest {
    static final NoiseSchedule LINEAR = NoiseSchedule.linear(1000);
    static final int[] SHAPE = {200, 10, 20, 1};
    static final double Z = 4.0;

    static Stream<Arguments> samplers() {
        List<Arguments> a = new ArrayList<>();
        for (ModelOutput kind : ModelOutput.values()) {
            GaussianDiffusion d = GaussianDiffusion.of(LINEAR).withOutput(kind);
            for (VarianceType v : new VarianceType[] {VarianceType.FIXED_BETA, VarianceType.FIXED_BETA_TILDE}) {
                for (int s : new int[] {1000, 100, 50}) {
                    a.add(Arguments.of(kind, new DdpmSampler(d.withVariance(v), s, Spacing.LINSPACE, 0, false)));
                }
            }
            for (double eta : new double[] {0.0, 1.0}) {
                for (int s : new int[] {10, 50, 100}) {
                    for (Spacing sp : Spacing.values()) {
                        a.add(Arguments.of(kind, new DdimSampler(d, s, eta, sp, 0, false)));
                    }
                }
            }
        }
        return a.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("samplers")
    void matchesTheExactChain(ModelOutput kind, Sampler sampler) {
        double[] exact = GaussianData.propagate(sampler, kind, 0, 0, 1);
        float[] x;
        try (Context ctx = Context.create(Device.cpu())) {
            x = GaussianData.sampleByHand(ctx, sampler, GaussianData.model(LINEAR, kind), SHAPE,
                    SampleNoise.of(kind.ordinal() * 1000L + sampler.steps(), SHAPE[0]));
        }
        double[] z = GaussianData.zScores(x, exact);
        System.out.printf("%s %s: exact mean %.4f var %.4f; z %.2f, %.2f%n", kind, sampler, exact[0], exact[1], z[0], z[1]);
        assertTrue(z[0] < Z && z[1] < Z, sampler + ": moments " + z[0] + " and " + z[1] + " standard errors away");
        // the three parameterisations describe the same denoiser, so their exact chains coincide
        double[] viaEps = GaussianData.propagate(withOutput(sampler, ModelOutput.EPSILON), ModelOutput.EPSILON, 0, 0, 1);
        assertEquals(viaEps[0], exact[0], 1e-9);
        assertEquals(viaEps[1], exact[1], 1e-9);
    }

    /** The same sampler over the diffusion with another output kind. */
    static Sampler withOutput(Sampler s, ModelOutput kind) {
        GaussianDiffusion d = s.diffusion().withOutput(kind);
        if (s instanceof DdimSampler ddim) {
            return new DdimSampler(d, ddim.steps(), ddim.eta(), ddim.spacing(), 0, false);
        }
        return new DdpmSampler(d, s.steps(), ((DdpmSampler) s).spacing(), 0, false);
    }

    /** A DDIM η = 1 sampler with its noise term dropped is rejected by the same check. */
    @Test
    void aSamplerWithoutItsNoiseIsRejected() {
        Sampler right = new DdimSampler(GaussianDiffusion.of(LINEAR), 50, 1.0, Spacing.TRAILING, 0, false);
        StepCoefficients[] plan = new StepCoefficients[right.steps()];
        for (int k = 0; k < plan.length; k++) {
            StepCoefficients c = right.coefficients(k);
            plan[k] = new StepCoefficients(c.timestep(), c.alphaBar(), c.alphaBarPrev(), c.x0FromXt(), c.x0FromOut(),
                    c.epsFromXt(), c.epsFromOut(), c.coefX0(), c.coefXt(), c.coefEps(), 0.0);
        }
        Sampler noNoise = new Sampler(right.diffusion(), 0, false, plan) {
            @Override
            public GuidanceForm guidanceForm() {
                return GuidanceForm.SCORE;
            }
        };
        float[] x;
        try (Context ctx = Context.create(Device.cpu())) {
            x = GaussianData.sampleByHand(ctx, noNoise, GaussianData.model(LINEAR, ModelOutput.EPSILON), SHAPE,
                    SampleNoise.of(3, SHAPE[0]));
        }
        double[] z = GaussianData.zScores(x, GaussianData.propagate(right, ModelOutput.EPSILON, 0, 0, 1));
        System.out.printf("DDIM eta=1 without noise: z %.1f, %.1f%n", z[0], z[1]);
        assertTrue(z[1] > 20, "dropping the noise must be detected; variance z = " + z[1]);
    }

    /** An ε-model driving a v-parameterised sampler is rejected: the check sees parameterisations. */
    @Test
    void aModelOfTheWrongParameterisationIsRejected() {
        Sampler v = new DdimSampler(GaussianDiffusion.of(LINEAR).withOutput(ModelOutput.V), 50, 0.0, Spacing.TRAILING, 0,
                false);
        float[] x;
        try (Context ctx = Context.create(Device.cpu())) {
            x = GaussianData.sampleByHand(ctx, v, GaussianData.model(LINEAR, ModelOutput.EPSILON), SHAPE,
                    SampleNoise.of(4, SHAPE[0]));
        }
        double[] z = GaussianData.zScores(x, GaussianData.propagate(v, ModelOutput.V, 0, 0, 1));
        System.out.printf("v sampler with an eps model: z %.1f, %.1f%n", z[0], z[1]);
        assertTrue(Math.max(z[0], z[1]) > 20, "a wrong parameterisation must be detected");
    }

    /** Image-to-image from a constant image c: x = √ᾱ c + √(1−ᾱ) z, then the remaining steps. */
    @Test
    void imageToImageMatchesTheExactChainFromTheNoisedImage() {
        Sampler s = new DdimSampler(GaussianDiffusion.of(LINEAR), 50, 1.0, Spacing.TRAILING, 0, false);
        int start = s.startStep(0.4);
        assertEquals(30, start, "strength 0.4 of 50 steps runs the last 20");
        double ab = s.coefficients(start).alphaBar();
        double c = -0.7;
        double[] exact = GaussianData.propagate(s, ModelOutput.EPSILON, start, Math.sqrt(ab) * c, 1 - ab);
        float[] x;
        try (Context ctx = Context.create(Device.cpu());
                org.diffusion4j.Tensor image = org.diffusion4j.Tensor.empty(ctx, SHAPE).fill((float) c);
                org.diffusion4j.Tensor out = s.sampleFrom(ctx, GaussianData.model(LINEAR, ModelOutput.EPSILON), image, 0.4,
                        null, SampleNoise.of(5, SHAPE[0]), null)) {
            x = out.toArray();
        }
        double[] z = GaussianData.zScores(x, exact);
        System.out.printf("img2img strength 0.4: exact mean %.4f var %.4f; z %.2f, %.2f%n", exact[0], exact[1], z[0], z[1]);
        assertTrue(z[0] < Z && z[1] < Z, "img2img moments " + z[0] + ", " + z[1] + " standard errors away");
        assertTrue(Math.abs(exact[0] - GaussianData.MU) > 0.05, "the test must start far from the data mean");
    }

    /** DDPM's full chain lands within 3% of the data; deterministic DDIM converges to it as S grows. */
    @Test
    void theExactChainsApproachTheData() {
        GaussianDiffusion d = GaussianDiffusion.of(LINEAR);
        for (VarianceType v : new VarianceType[] {VarianceType.FIXED_BETA, VarianceType.FIXED_BETA_TILDE}) {
            double[] m = GaussianData.propagate(DdpmSampler.of(d.withVariance(v)), ModelOutput.EPSILON, 0, 0, 1);
            assertEquals(GaussianData.MU, m[0], 0.03 * GaussianData.MU, v.id());
            assertEquals(GaussianData.S2, m[1], 0.03 * GaussianData.S2, v.id());
        }
        double previous = Double.MAX_VALUE;
        for (int steps : new int[] {5, 20, 100, 500, 1000}) {
            double[] m = GaussianData.propagate(new DdimSampler(d, steps, 0, Spacing.LINSPACE, 0, false),
                    ModelOutput.EPSILON, 0, 0, 1);
            double gap = Math.abs(m[1] - GaussianData.S2);
            assertTrue(gap < previous, "S=" + steps + " is no closer than fewer steps");
            previous = gap;
        }
        assertTrue(previous < 0.01 * GaussianData.S2, "DDIM-1000 variance gap " + previous);
    }
}
