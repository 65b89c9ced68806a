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
     * The true reverse variance Var(x_{t−1} | x_t) = β̃_t + c0² Var(x_0 | x_t) of the T-step chain
     * for this data (the posterior's own variance plus its mean's spread over x_0 | x_t), with
     * β̃_t = β_t (1 − ᾱ_{t−1})/(1 − ᾱ_t), c0 = β_t √ᾱ_{t−1}/(1 − ᾱ_t), Var(x_0 | x_t) =
     * s² (1 − ᾱ_t)/(ᾱ_t s² + 1 − ᾱ_t), all from the schedule's ᾱ (ᾱ_{−1} = 1).
     */
    static double exactVariance(NoiseSchedule s, int t) {
        double ab = s.alphaBar(t);
        double abPrev = t == 0 ? 1.0 : s.alphaBar(t - 1);
        double beta = 1 - ab / abPrev;
        double tilde = beta * (1 - abPrev) / (1 - ab);
        double c0 = beta * Math.sqrt(abPrev) / (1 - ab);
        double v = S2 * (1 - ab) / (ab * S2 + 1 - ab);
        return tilde + c0 * c0 * v;
    }

    /**
     * The raw variance output r whose interpolation (r + 1)/2 between log β_t and log β̃_t (β̃ at
     * index 1 at t = 0) gives {@link #exactVariance}: the exact model's variance half.
     */
    static double exactRaw(NoiseSchedule s, int t) {
        double ab1 = s.alphaBar(1);
        double max = Math.log(1 - s.alphaBar(t) / (t == 0 ? 1.0 : s.alphaBar(t - 1)));
        double min = t == 0 ? Math.log((1 - ab1 / s.alphaBar(0)) * (1 - s.alphaBar(0)) / (1 - ab1))
                : Math.log(Math.exp(max) * (1 - s.alphaBar(t - 1)) / (1 - s.alphaBar(t)));
        double f = (Math.log(exactVariance(s, t)) - min) / (max - min);
        return 2 * f - 1;
    }

    /**
     * The exact model of mean and variance for one-channel data: the (N, ..., 2) output holds per
     * pixel the exact output of kind {@code kind}, then {@code raw}(t) (e.g. {@link #exactRaw}).
     */
    static Denoiser learnedModel(NoiseSchedule trained, ModelOutput kind, java.util.function.IntToDoubleFunction raw) {
        return (ctx, out, x, t, labels) -> {
            float[] v = x.toArray();
            float[] o = new float[2 * v.length];
            int per = v.length / t.length;
            for (int i = 0; i < v.length; i++) {
                double[] f = exact(kind, trained.alphaBar(t[i / per]));
                o[2 * i] = (float) (f[0] * v[i] + f[1]);
                o[2 * i + 1] = (float) raw.applyAsDouble(t[i / per]);
            }
            out.copyFrom(o);
        };
    }

    /** {@link #propagate} for a learned-variance plan whose model's raw variance at timestep t is {@code raw}(t). */
    static double[] propagateLearned(Sampler sampler, ModelOutput kind, java.util.function.IntToDoubleFunction raw) {
        return propagate(sampler, kind, 0, 0, 1, raw);
    }

    /**
     * Mean and variance after steps {@code from} .. S − 1 of the plan, from x ~ N(m, v), with the
     * exact model of the diffusion's output kind, propagated through the plan's own coefficients
     * in float64 (no clipping).
     */
    static double[] propagate(Sampler sampler, ModelOutput kind, int from, double m, double v) {
        return propagate(sampler, kind, from, m, v, null);
    }

    private static double[] propagate(Sampler sampler, ModelOutput kind, int from, double m, double v,
            java.util.function.IntToDoubleFunction raw) {
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
            double noise = c.sigma() * c.sigma();
            if (c.learnedVariance()) { // σ scales exp(½ log Σ), log Σ = f max + (1 − f) min, f = (r + 1)/2
                double f = 0.5 * (raw.applyAsDouble(c.timestep()) + 1);
                noise *= Math.exp(f * c.logVarMax() + (1 - f) * c.logVarMin());
            }
            v = k1 * k1 * v + noise;
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
        try (Tensor x = sampler.initialNoise(ctx, shape, noise); Tensor out = Tensor.empty(ctx, sampler.outputShape(shape))) {
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
