package org.diffusion4j.diffusion;

import java.util.function.BiFunction;

/**
 * Data whose score at every noise level is analytic, as {@link Denoiser}s of a
 * {@link ScoreMatching} network (o = −σ ∇ log p_σ(x)), written from the densities independently
 * of the library: Gaussian data N(μ, s²) per element, p_σ = N(μ, s² + σ²); and a two-component
 * mixture over whole samples, π N(+m·1, s² I) + (1 − π) N(−m·1, s² I), whose perturbed score is
 * the responsibility-weighted sum of the components' scores.
 */
final class ExactScores {
    private ExactScores() {}

    /** The noise level whose conditioning value is t. */
    static int level(ScoreMatching p, int t) {
        for (int i = 0; i < p.timesteps(); i++) {
            if (p.modelTimestep(i) == t) {
                return i;
            }
        }
        throw new AssertionError("no level has conditioning value " + t);
    }

    /** A denoiser computing, per sample of D values, the score at σ of x (float64, on the host). */
    static Denoiser model(ScoreMatching p, BiFunction<double[], Double, double[]> score) {
        return (ctx, out, x, t, labels) -> {
            float[] v = x.toArray();
            int per = v.length / t.length;
            float[] o = new float[v.length];
            for (int n = 0; n < t.length; n++) {
                double sigma = p.levels().sigma(level(p, t[n]));
                double[] xs = new double[per];
                for (int j = 0; j < per; j++) {
                    xs[j] = v[n * per + j];
                }
                double[] s = score.apply(xs, sigma);
                for (int j = 0; j < per; j++) {
                    o[n * per + j] = (float) (-sigma * s[j]);
                }
            }
            out.copyFrom(o);
        };
    }

    static Denoiser gaussian(ScoreMatching p, double mu, double s2) {
        return model(p, (x, sigma) -> {
            double[] s = new double[x.length];
            for (int j = 0; j < x.length; j++) {
                s[j] = -(x[j] - mu) / (s2 + sigma * sigma);
            }
            return s;
        });
    }

    static Denoiser mixture(ScoreMatching p, double m, double s2, double pi) {
        return model(p, (x, sigma) -> {
            double v = s2 + sigma * sigma;
            double dPlus = 0;
            double dMinus = 0;
            for (double xj : x) {
                dPlus += (xj - m) * (xj - m);
                dMinus += (xj + m) * (xj + m);
            }
            // responsibility of the + component, from the log-odds (stable for far-apart components)
            double logOdds = Math.log(pi / (1 - pi)) - (dPlus - dMinus) / (2 * v);
            double w = 1 / (1 + Math.exp(-logOdds));
            double[] s = new double[x.length];
            for (int j = 0; j < x.length; j++) {
                s[j] = (w * (m - x[j]) + (1 - w) * (-m - x[j])) / v;
            }
            return s;
        });
    }
}
