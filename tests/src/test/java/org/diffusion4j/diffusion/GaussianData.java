package org.diffusion4j.diffusion;

import org.diffusion4j.Context;
import org.diffusion4j.Tensor;

/**
 * Gaussian data x_0 ~ N(μ, s²) per element, whose optimal denoiser is affine in x_t:
 * E[x_0 | x_t] = μ + g (x_t − √ᾱ μ), g = √ᾱ s² / (ᾱ s² + 1 − ᾱ); ε* = (x_t − √ᾱ E[x_0|x_t])/√(1−ᾱ);
 * v* = √ᾱ ε* − √(1−ᾱ) E[x_0|x_t]. Written here from those formulas, independently of
 * {@link GaussianDiffusion#convert}.
 */
final class GaussianData {
    static final double MU = 0.4;
    static final double S2 = 0.25;

    private GaussianData() {}

    /** The exact output o = a x_t + b of kind {@code kind} at ᾱ: {a, b}. */
    static double[] exact(ModelOutput kind, double ab) {
        double g = Math.sqrt(ab) * S2 / (ab * S2 + 1 - ab);
        double x0a = g;
        double x0b = MU - g * Math.sqrt(ab) * MU;
        double ea = (1 - Math.sqrt(ab) * x0a) / Math.sqrt(1 - ab);
        double eb = -Math.sqrt(ab) * x0b / Math.sqrt(1 - ab);
        return switch (kind) {
            case X0 -> new double[] {x0a, x0b};
            case EPSILON -> new double[] {ea, eb};
            case V -> new double[] {Math.sqrt(ab) * ea - Math.sqrt(1 - ab) * x0a, Math.sqrt(ab) * eb - Math.sqrt(1 - ab) * x0b};
        };
    }

    /** The exact model of kind {@code kind} for the schedule the network was trained on, on the host. */
    static Denoiser model(NoiseSchedule trained, ModelOutput kind) {
        return (ctx, out, x, t, labels) -> {
            float[] v = x.toArray();
            int per = v.length / t.length;
            for (int i = 0; i < v.length; i++) {
                double[] f = exact(kind, trained.alphaBar(t[i / per]));
                v[i] = (float) (f[0] * v[i] + f[1]);
            }
            out.copyFrom(v);
        };
    }

    /**
     * Mean and variance after steps {@code from} .. S − 1 of the plan, from x ~ N(m, v), with the
     * exact model of the diffusion's output kind, propagated through the plan's own coefficients
     * in float64 (no clipping).
     */
    static double[] propagate(Sampler sampler, ModelOutput kind, int from, double m, double v) {
        NoiseSchedule trained = sampler.diffusion().schedule();
        for (int k = from; k < sampler.steps(); k++) {
            StepCoefficients c = sampler.coefficients(k);
            double[] o = exact(kind, trained.alphaBar(c.timestep()));
            double px = c.x0FromXt() + c.x0FromOut() * o[0]; // x̂_0 = px x + qx
            double qx = c.x0FromOut() * o[1];
            double pe = c.epsFromXt() + c.epsFromOut() * o[0]; // ε̂ = pe x + qe
            double qe = c.epsFromOut() * o[1];
            double k1 = c.coefX0() * px + c.coefXt() + c.coefEps() * pe;
            double off = c.coefX0() * qx + c.coefEps() * qe;
            m = k1 * m + off;
            v = k1 * k1 * v + c.sigma() * c.sigma();
        }
        return new double[] {m, v};
    }

    /** Sample mean and unbiased variance. */
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

    /** The public-step loop, written out as a user would: x_T, then predict and step. */
    static float[] sampleByHand(Context ctx, Sampler sampler, Denoiser model, int[] shape, SampleNoise noise) {
        try (Tensor x = sampler.initialNoise(ctx, shape, noise); Tensor out = Tensor.empty(ctx, shape)) {
            for (int k = 0; k < sampler.steps(); k++) {
                model.predict(ctx, out, x, sampler.modelTimesteps(k, shape[0]), null);
                sampler.step(ctx, k, x, x, out, null, noise);
            }
            return x.toArray();
        }
    }

    /** |sample − exact| in standard errors of the mean and of the variance: {z_mean, z_var}. */
    static double[] zScores(float[] x, double[] exact) {
        double[] got = moments(x);
        int n = x.length;
        double seMean = Math.sqrt(exact[1] / n);
        double seVar = exact[1] * Math.sqrt(2.0 / (n - 1));
        return new double[] {Math.abs(got[0] - exact[0]) / seMean, Math.abs(got[1] - exact[1]) / seVar};
    }
}
