package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The closed-form check of classifier guidance: two equally likely classes, x_0 | y ~ N(μ_y, s²)
 * (one value per sample), so x_t | y ~ N(√ᾱ μ_y, v_t), v_t = ᾱ s² + 1 − ᾱ, and both the exact
 * unconditional ε-predictor ε* = √(1−ᾱ)(x − √ᾱ Σ_j p(j|x) μ_j)/v_t and the exact classifier
 * ∇ log p(y | x) = (√ᾱ/v_t)(μ_y − Σ_j p(j|x) μ_j) are analytic. Since ε* − √(1−ᾱ) ∇ log p(y|x)
 * is the class-conditional ε_y, guidance at scale 1 must sample the class-conditional chain;
 * scale 0 samples the mixture; a classifier of the wrong sign must fail the same check.
 */
class ClassifierGuidanceClosedFormTest {
    static final NoiseSchedule LINEAR = NoiseSchedule.linear(1000);
    static final double[] MU = {-0.5, 0.5};
    static final double S2 = 0.04;
    static final int N = 4000;
    static final int[] SHAPE = {N, 1, 1, 1};
    static final int TARGET = 1;
    static final double Z = 4.0;

    /** p(j | x) at ᾱ, j = 0, 1, equal priors. */
    static double[] posterior(double x, double ab) {
        double v = ab * S2 + 1 - ab;
        double l0 = -(x - Math.sqrt(ab) * MU[0]) * (x - Math.sqrt(ab) * MU[0]) / (2 * v);
        double l1 = -(x - Math.sqrt(ab) * MU[1]) * (x - Math.sqrt(ab) * MU[1]) / (2 * v);
        double p1 = 1 / (1 + Math.exp(l0 - l1));
        return new double[] {1 - p1, p1};
    }

    /** The exact ε of the mixture (class < 0) or of class y, on the host. */
    static Denoiser exactModel(int y) {
        return (ctx, out, x, t, labels) -> {
            float[] v = x.toArray();
            for (int i = 0; i < v.length; i++) {
                double ab = LINEAR.alphaBar(t[i]);
                double[] p = y < 0 ? posterior(v[i], ab) : (y == 0 ? new double[] {1, 0} : new double[] {0, 1});
                double meanMu = p[0] * MU[0] + p[1] * MU[1];
                v[i] = (float) (Math.sqrt(1 - ab) * (v[i] - Math.sqrt(ab) * meanMu) / (ab * S2 + 1 - ab));
            }
            out.copyFrom(v);
        };
    }

    /** The exact ∇ log p(y | x_t), times {@code sign} (−1: the deliberately wrong classifier). */
    static ClassifierGradient exactClassifier(double sign) {
        return (ctx, grad, x, t, labels) -> {
            float[] v = x.toArray();
            for (int i = 0; i < v.length; i++) {
                double ab = LINEAR.alphaBar(t[i]);
                double[] p = posterior(v[i], ab);
                double meanMu = p[0] * MU[0] + p[1] * MU[1];
                v[i] = (float) (sign * Math.sqrt(ab) / (ab * S2 + 1 - ab) * (MU[labels[i]] - meanMu));
            }
            grad.copyFrom(v);
        };
    }

    static float[] run(Sampler sampler, Denoiser model, ClassifierGuidance guidance, long seed) {
        try (Context ctx = Context.create(Device.cpu());
                Tensor x = sampler.sample(ctx, model, SHAPE, null, SampleNoise.of(seed, N), null, guidance)) {
            return x.toArray();
        }
    }

    static ClassifierGuidance towardsTarget(ClassifierGradient c, double scale) {
        int[] labels = new int[N];
        Arrays.fill(labels, TARGET);
        return new ClassifierGuidance(c, scale, labels);
    }

    /** Two-sample z of the means and of the variances. */
    static double[] twoSampleZ(float[] a, float[] b) {
        double[] ma = GaussianData.moments(a);
        double[] mb = GaussianData.moments(b);
        double zMean = Math.abs(ma[0] - mb[0]) / Math.sqrt(ma[1] / a.length + mb[1] / b.length);
        double zVar = Math.abs(ma[1] - mb[1])
                / Math.sqrt(2 * ma[1] * ma[1] / (a.length - 1) + 2 * mb[1] * mb[1] / (b.length - 1));
        return new double[] {zMean, zVar};
    }

    static boolean sameMoments(String what, float[] a, float[] b) {
        double[] z = twoSampleZ(a, b);
        double[] m = GaussianData.moments(a);
        System.out.printf("%s: mean %.4f var %.4f; z %.2f, %.2f%n", what, m[0], m[1], z[0], z[1]);
        return z[0] < Z && z[1] < Z;
    }

    @Test
    void ddpmGuidanceAtScaleOneSamplesTheClassConditionalChain() {
        Sampler ddpm = new DdpmSampler(GaussianDiffusion.of(LINEAR), 1000, Spacing.LINSPACE, 0, false);
        float[] conditional = run(ddpm, exactModel(TARGET), null, 1);
        float[] mixture = run(ddpm, exactModel(-1), null, 2);
        float[] guided = run(ddpm, exactModel(-1), towardsTarget(exactClassifier(1), 1), 3);
        float[] unguided = run(ddpm, exactModel(-1), towardsTarget(exactClassifier(1), 0), 4);
        float[] wrongSign = run(ddpm, exactModel(-1), towardsTarget(exactClassifier(-1), 1), 5);
        assertTrue(sameMoments("DDPM class-conditional vs N(0.5, 0.04)", conditional, normal(MU[TARGET], S2, 6)),
                "the exact conditional chain lands on its class");
        assertTrue(sameMoments("DDPM guided s=1 vs class-conditional chain", guided, conditional),
                "guidance at scale 1 samples the class-conditional distribution");
        assertTrue(sameMoments("DDPM guided s=0 vs unguided mixture chain", unguided, mixture),
                "guidance at scale 0 samples the mixture");
        assertTrue(!sameMoments("DDPM mixture vs class-conditional (must differ)", mixture, conditional),
                "the check tells the mixture from the class");
        assertTrue(!sameMoments("DDPM wrong-sign guidance vs class-conditional (must differ)", wrongSign, conditional),
                "a classifier of the wrong sign fails the check");
    }

    @Test
    void ddimGuidanceAtScaleOneIsTheClassConditionalDdimChain() {
        Sampler ddim = new DdimSampler(GaussianDiffusion.of(LINEAR), 50, 0.0, Spacing.TRAILING, 0, false);
        float[] conditional = run(ddim, exactModel(TARGET), null, 11);
        float[] guided = run(ddim, exactModel(-1), towardsTarget(exactClassifier(1), 1), 11); // the same x_T
        float[] wrongSign = run(ddim, exactModel(-1), towardsTarget(exactClassifier(-1), 1), 11);
        double worst = 0;
        for (int i = 0; i < N; i++) {
            worst = Math.max(worst, Math.abs(guided[i] - conditional[i]));
        }
        System.out.printf("DDIM guided s=1 vs class-conditional DDIM from the same x_T: max |diff| %.2e%n", worst);
        assertTrue(worst < 1e-3, "max |diff| " + worst);
        // 50 deterministic steps shrink the variance (0.031 for 0.04): DDIM's discretisation, not guidance's; the mean holds
        sameMoments("DDIM class-conditional vs N(0.5, 0.04)", conditional, normal(MU[TARGET], S2, 12));
        assertTrue(twoSampleZ(conditional, normal(MU[TARGET], S2, 12))[0] < Z, "DDIM's conditional chain centres on its class");
        assertTrue(!sameMoments("DDIM wrong-sign guidance vs class-conditional (must differ)", wrongSign, conditional),
                "a classifier of the wrong sign fails the check");
    }

    /** N draws of N(mean, var), seeded (java.util.Random: a reference independent of the library's noise). */
    static float[] normal(double mean, double var, long seed) {
        java.util.Random r = new java.util.Random(seed);
        float[] out = new float[N];
        for (int i = 0; i < N; i++) {
            out[i] = (float) (mean + Math.sqrt(var) * r.nextGaussian());
        }
        return out;
    }
}
