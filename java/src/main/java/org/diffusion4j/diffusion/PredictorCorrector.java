package org.diffusion4j.diffusion;

import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.ops.Axpby;
import org.diffusion4j.ops.KeyedNoise;

/**
 * Predictor–corrector sampling of a Gaussian diffusion (Song et al. 2021, Algorithms 2 and 5): a
 * DDPM is also a score model, s(x_t, t) = −ε̂(x_t, t)/√(1 − ᾱ_t) ({@link GaussianDiffusion#scoreOf}).
 * At each step of the predictor's plan, first M Langevin corrector steps at its timestep,
 * <pre>
 *   x ← x + δ s + √(2δ) z,   δ = 2 α_t (r ‖z‖ / ‖s‖)²,   α_t = ᾱ_t / ᾱ_prev
 * </pre>
 * with r the target signal-to-noise ratio, then the predictor's own step (ancestral DDPM, or any
 * {@link Sampler} plan). The norms are each sample's own (score_sde averages them over the batch;
 * per sample, an image does not depend on its batch). Noise is keyed per sample: the predictor's
 * draws 0 .. S, the corrector's S + 1 + k M + j for corrector step j of step k.
 */
public final class PredictorCorrector implements ImageSampler {
    /** score_sde's target SNR for its VP (DDPM) models. */
    public static final double DEFAULT_SNR = 0.16;

    private final Sampler predictor;
    private final int correctorSteps;
    private final double snr;
    private final double noiseScale;

    /**
     * @param predictor the plan whose steps predict (its guidance weight guides the corrector too)
     * @param correctorSteps M >= 1 Langevin steps before each predictor step
     * @param snr r > 0, the corrector's target signal-to-noise ratio
     */
    public PredictorCorrector(Sampler predictor, int correctorSteps, double snr) {
        this(predictor, correctorSteps, snr, Math.sqrt(2));
    }

    /** A corrector with noise {@code noiseScale}·√δ z instead of √(2δ) z: the tests' wrong rules. */
    PredictorCorrector(Sampler predictor, int correctorSteps, double snr, double noiseScale) {
        this.noiseScale = noiseScale;
        this.predictor = Objects.requireNonNull(predictor, "predictor");
        if (correctorSteps < 1) {
            throw new IllegalArgumentException("corrector steps is " + correctorSteps + "; it must be >= 1");
        }
        if (!(snr > 0) || Double.isInfinite(snr)) {
            throw new IllegalArgumentException("snr is " + snr + "; it must be finite and > 0");
        }
        this.correctorSteps = correctorSteps;
        this.snr = snr;
    }

    public Sampler predictor() {
        return predictor;
    }

    public int correctorSteps() {
        return correctorSteps;
    }

    public double snr() {
        return snr;
    }

    /** The predictor's weight, which guides the corrector too. */
    @Override
    public double guidance() {
        return predictor.guidance();
    }

    /** S (1 + M). */
    @Override
    public int networkEvaluations() {
        return predictor.steps() * (1 + correctorSteps);
    }

    /**
     * Corrector step j before predictor step k at x (in place), from the model output(s) at x and
     * step k's timestep; {@code o}, {@code epsHat} and {@code z} are scratch of x's shape.
     */
    public void correct(Context ctx, int k, int j, Tensor x, Tensor out, Tensor outUncond, SampleNoise noise, Tensor o,
            Tensor epsHat, Tensor z) {
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(noise, "noise");
        if (j < 0 || j >= correctorSteps) {
            throw new IllegalArgumentException("corrector step " + j + " is outside [0, " + correctorSteps + ")");
        }
        int n = x.dim(0);
        if (noise.size() != n) {
            throw new IllegalArgumentException("noise has " + noise.size() + " sample ids but the batch is " + n);
        }
        StepCoefficients c = predictor.coefficients(k);
        GaussianDiffusion d = predictor.diffusion();
        Tensor mean = out;
        if (d.variance() == VarianceType.LEARNED_RANGE) { // the mean halves; the variance plays no part in the score
            try (Tensor raw = Tensor.empty(ctx, x.shape())) {
                d.splitOutput(ctx, o, raw, out);
                mean = o;
                if (outUncond != null) {
                    d.splitOutput(ctx, epsHat, raw, outUncond);
                }
            }
        }
        if (outUncond != null) { // o = (w + 1) out − w out_u
            float w = (float) predictor.guidance();
            Tensor u = d.variance() == VarianceType.LEARNED_RANGE ? epsHat : outUncond;
            Axpby.apply(ctx, o, mean, u, filled(n, w + 1), filled(n, -w));
            mean = o;
        }
        Axpby.apply(ctx, epsHat, x, mean, filled(n, (float) c.epsFromXt()), filled(n, (float) c.epsFromOut()));
        int stream = predictor.steps() + 1 + k * correctorSteps + j;
        KeyedNoise.apply(ctx, z, null, 0f, 1f, noise.key(), stream, noise.idsView());
        float[] e = epsHat.toArray();
        float[] zv = z.toArray();
        int per = e.length / n;
        double s = Math.sqrt(1 - c.alphaBar());
        double alpha = c.alphaBar() / c.alphaBarPrev();
        float[] one = filled(n, 1f);
        float[] byEps = new float[n];
        float[] byZ = new float[n];
        for (int i = 0; i < n; i++) {
            double ee = 0;
            double zz = 0;
            for (int q = i * per; q < (i + 1) * per; q++) {
                ee += (double) e[q] * e[q];
                zz += (double) zv[q] * zv[q];
            }
            double scoreNorm = Math.sqrt(ee) / s; // ‖s‖ = ‖ε̂‖/√(1 − ᾱ)
            double delta = scoreNorm > 0 ? 2 * alpha * (snr * Math.sqrt(zz) / scoreNorm) * (snr * Math.sqrt(zz) / scoreNorm) : 0;
            byEps[i] = (float) (-delta / s); // δ s = −δ ε̂/√(1 − ᾱ)
            byZ[i] = (float) (noiseScale * Math.sqrt(delta));
        }
        Axpby.apply(ctx, x, x, epsHat, one, byEps);
        Axpby.apply(ctx, x, x, z, one, byZ);
    }

    @Override
    public Tensor sample(Context ctx, Denoiser model, int[] shape, int[] labels, SampleNoise noise, StepCallback callback) {
        Objects.requireNonNull(model, "model");
        Tensor x = predictor.initialNoise(ctx, shape, noise);
        try {
            int n = x.dim(0);
            if (labels != null && labels.length != n) {
                throw new IllegalArgumentException("labels has " + labels.length + " entries but the batch is " + n);
            }
            StepCallback cb = callback == null ? StepCallback.NONE : callback;
            boolean guided = labels != null && predictor.guidance() > 0;
            int[] outShape = predictor.outputShape(x.shape());
            int steps = predictor.steps();
            try (Tensor out = Tensor.empty(ctx, outShape); Tensor outU = guided ? Tensor.empty(ctx, outShape) : null;
                    Tensor o = Tensor.empty(ctx, x.shape()); Tensor epsHat = Tensor.empty(ctx, x.shape());
                    Tensor z = Tensor.empty(ctx, x.shape())) {
                for (int k = 0; k < steps; k++) {
                    int[] t = predictor.modelTimesteps(k, n);
                    for (int j = 0; j < correctorSteps; j++) {
                        predict(ctx, model, out, outU, x, t, labels);
                        correct(ctx, k, j, x, out, outU, noise, o, epsHat, z);
                    }
                    predict(ctx, model, out, outU, x, t, labels);
                    predictor.step(ctx, k, x, x, out, outU, noise);
                    if (!cb.onStep(k + 1, steps, t[0], x)) {
                        throw new CancellationException("sampling cancelled after step " + (k + 1) + " of " + steps);
                    }
                }
            }
            return x;
        } catch (RuntimeException e) {
            x.close();
            throw e;
        }
    }

    private static void predict(Context ctx, Denoiser model, Tensor out, Tensor outU, Tensor x, int[] t, int[] labels) {
        if (outU != null) { // both outputs, as one batch of 2N where the model can
            model.predictGuided(ctx, out, outU, x, t, labels);
        } else {
            model.predict(ctx, out, x, t.clone(), labels == null ? null : labels.clone());
        }
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }

    @Override
    public String toString() {
        return "predictor-corrector (" + predictor + ", " + correctorSteps + " Langevin corrector step"
                + (correctorSteps == 1 ? "" : "s") + ", snr " + snr + ")";
    }
}
