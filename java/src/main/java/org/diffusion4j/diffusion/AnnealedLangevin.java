package org.diffusion4j.diffusion;

import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.ops.KeyedNoise;
import org.diffusion4j.ops.SamplerStep;

/**
 * Annealed Langevin dynamics (Song &amp; Ermon 2019, Algorithm 1) over a {@link ScoreMatching}
 * network's levels: from x ~ N(0, σ_1² I), for each level i in turn T steps of
 * <pre>
 *   x ← x + (α_i/2) s_θ(x, σ_i) + √α_i z,   α_i = ε σ_i² / σ_L²,   s_θ = −o/σ_i
 * </pre>
 * then, by default, the denoising step x ← x + σ_L² s_θ(x, σ_L) (Tweedie's formula, E[x | x̃] for
 * x̃ = x + σ_L z; NCSNv2's final step). Each step is one fused native update (classifier-free
 * guidance combines the conditional and unconditional outputs inside it); z is keyed per sample
 * (draw 0 the starting noise, draw k + 1 step k's), so an image depends on (seed, id) only.
 * Immutable and thread-safe, with a public {@link #step}:
 * <pre>{@code
 * Tensor x = langevin.initialNoise(ctx, shape, noise);
 * for (int k = 0; k < langevin.steps(); k++) {
 *     model.predict(ctx, out, x, langevin.modelTimesteps(k, n), labels);
 *     langevin.step(ctx, k, x, x, out, null, noise);
 * }
 * }</pre>
 */
public final class AnnealedLangevin implements ImageSampler {
    private final ScoreMatching process;
    private final int stepsPerLevel;
    private final double stepSize;
    private final double[] alphas;
    private final boolean denoise;
    private final double guidance;

    /**
     * @param stepsPerLevel T, Langevin steps at each level (NCSN: 100, NCSNv2: 5)
     * @param stepSize ε, the step at the smallest level; it must be below 4σ_L², where the
     *     chain stops contracting (see {@link #ncsnv2StepSize} for NCSNv2's choice)
     * @param denoise end with the Tweedie step at σ_L
     * @param guidance classifier-free guidance weight w (o = (w + 1) o(x, y) − w o(x)); 0 is none
     */
    public AnnealedLangevin(ScoreMatching process, int stepsPerLevel, double stepSize, boolean denoise, double guidance) {
        this(process, stepsPerLevel, stepSize, scaled(process, stepSize), denoise, guidance);
    }

    /** A plan with any step α_i per level: the tests' wrong rules. */
    AnnealedLangevin(ScoreMatching process, int stepsPerLevel, double stepSize, double[] alphas, boolean denoise,
            double guidance) {
        this.process = Objects.requireNonNull(process, "process");
        if (stepsPerLevel < 1) {
            throw new IllegalArgumentException("steps per level is " + stepsPerLevel + "; it must be >= 1");
        }
        double sMin = process.levels().sigmaMin();
        if (!(stepSize > 0) || !(stepSize < 4 * sMin * sMin)) {
            throw new IllegalArgumentException("Langevin step size is " + stepSize + "; it must be in (0, 4 sigma_L^2 = "
                    + 4 * sMin * sMin + ") for the chain to contract");
        }
        if (!(guidance >= 0) || Double.isInfinite(guidance)) {
            throw new IllegalArgumentException("guidance weight is " + guidance + "; it must be finite and >= 0");
        }
        if (alphas.length != process.levels().levels()) {
            throw new IllegalArgumentException(alphas.length + " step sizes for " + process.levels().levels() + " levels");
        }
        this.stepsPerLevel = stepsPerLevel;
        this.stepSize = stepSize;
        this.alphas = alphas.clone();
        this.denoise = denoise;
        this.guidance = guidance;
    }

    private static double[] scaled(ScoreMatching process, double stepSize) {
        NoiseLevels l = Objects.requireNonNull(process, "process").levels();
        double sMin = l.sigmaMin();
        double[] a = new double[l.levels()];
        for (int i = 0; i < a.length; i++) {
            a[i] = stepSize * l.sigma(i) * l.sigma(i) / (sMin * sMin);
        }
        return a;
    }

    /**
     * NCSNv2's technique 4 for this update rule: the ε for which T Langevin steps at level i,
     * started from level i − 1's spread, land nearest level i's. For one data point, x ~ N(0,
     * γ² σ_i²) (γ = σ_{i−1}/σ_i, the geometric mean ratio of the levels) after T steps has
     * variance σ_i² f(ε) with f = a^{2T} (γ² − V) + V, a = 1 − ε/(2σ_L²), V = (ε/σ_L²)/(1 − a²)
     * the chain's stationary ratio; f &gt; 1 for every ε (V &gt; 1: the discretised chain
     * over-disperses), so this returns the ε minimising f.
     */
    public static double ncsnv2StepSize(NoiseLevels levels, int stepsPerLevel) {
        Objects.requireNonNull(levels, "levels");
        if (levels.levels() < 2) {
            throw new IllegalArgumentException("technique 4 needs at least 2 levels (a ratio between them)");
        }
        if (stepsPerLevel < 1) {
            throw new IllegalArgumentException("steps per level is " + stepsPerLevel + "; it must be >= 1");
        }
        double gamma = Math.pow(levels.sigmaMax() / levels.sigmaMin(), 1.0 / (levels.levels() - 1));
        double lo = Math.log(1e-9);
        double hi = Math.log(3.999); // u = ε/σ_L² in (0, 4)
        double best = lo;
        double bestF = Double.POSITIVE_INFINITY;
        int grid = 4000;
        for (int j = 0; j <= grid; j++) {
            double lu = lo + (hi - lo) * j / grid;
            double f = spread(Math.exp(lu), gamma, stepsPerLevel);
            if (f < bestF) {
                bestF = f;
                best = lu;
            }
        }
        double a = best - (hi - lo) / grid;
        double b = best + (hi - lo) / grid;
        for (int j = 0; j < 100; j++) { // golden section inside the best grid cell's neighbours
            double m1 = b - 0.618034 * (b - a);
            double m2 = a + 0.618034 * (b - a);
            if (spread(Math.exp(m1), gamma, stepsPerLevel) < spread(Math.exp(m2), gamma, stepsPerLevel)) {
                b = m2;
            } else {
                a = m1;
            }
        }
        double sMin = levels.sigmaMin();
        return Math.exp(0.5 * (a + b)) * sMin * sMin;
    }

    /** f(u) of {@link #ncsnv2StepSize} with u = ε/σ_L². */
    static double spread(double u, double gamma, int steps) {
        double a = 1 - u / 2;
        double v = u / (1 - a * a);
        return Math.pow(a * a, steps) * (gamma * gamma - v) + v;
    }

    public ScoreMatching process() {
        return process;
    }

    /** T, the Langevin steps per level. */
    public int stepsPerLevel() {
        return stepsPerLevel;
    }

    /** ε, the step at the smallest level. */
    public double stepSize() {
        return stepSize;
    }

    /** α_i, the step at level i. */
    public double alpha(int i) {
        process.levels().checkIndex(i);
        return alphas[i];
    }

    public boolean denoises() {
        return denoise;
    }

    @Override
    public double guidance() {
        return guidance;
    }

    /** L·T Langevin steps, plus the denoising step. */
    public int steps() {
        return alphas.length * stepsPerLevel + (denoise ? 1 : 0);
    }

    @Override
    public int networkEvaluations() {
        return steps();
    }

    /** The noise level step k runs at (the last level for the denoising step). */
    public int level(int k) {
        if (k < 0 || k >= steps()) {
            throw new IllegalArgumentException("step " + k + " is outside [0, " + steps() + ")");
        }
        return Math.min(k / stepsPerLevel, alphas.length - 1);
    }

    /** Whether step k is the final denoising step. */
    public boolean isDenoisingStep(int k) {
        level(k);
        return denoise && k == steps() - 1;
    }

    /** Step k's conditioning value, repeated for a batch of n (the {@code t} to predict with). */
    public int[] modelTimesteps(int k, int n) {
        int[] t = new int[n];
        Arrays.fill(t, process.modelTimestep(level(k)));
        return t;
    }

    /** x ~ N(0, σ_1² I) for each sample: draw 0 of its keyed noise. The caller closes the tensor. */
    public Tensor initialNoise(Context ctx, int[] shape, SampleNoise noise) {
        Objects.requireNonNull(shape, "shape");
        requireBatch(shape[0], noise);
        Tensor x = Tensor.empty(ctx, shape);
        try {
            KeyedNoise.apply(ctx, x, null, 0f, (float) process.levels().sigmaMax(), noise.key(), 0, noise.idsView());
            return x;
        } catch (RuntimeException e) {
            x.close();
            throw e;
        }
    }

    /**
     * Step k from x given the network output(s) at {@link #modelTimesteps}(k): a Langevin step
     * with draw k + 1 of each sample's keyed noise, or the noiseless denoising step. {@code xNext}
     * may be {@code x}.
     *
     * @param outUncond the unconditional output for classifier-free guidance, or null
     */
    public void step(Context ctx, int k, Tensor xNext, Tensor x, Tensor out, Tensor outUncond, SampleNoise noise) {
        Objects.requireNonNull(x, "x");
        requireBatch(x.dim(0), noise);
        int i = level(k);
        double sigma = process.levels().sigma(i);
        double coefOut;
        double noiseScale;
        if (isDenoisingStep(k)) { // x + σ² s = x − σ o
            coefOut = -sigma;
            noiseScale = 0;
        } else { // x + (α/2) s + √α z with s = −o/σ
            coefOut = -alphas[i] / (2 * sigma);
            noiseScale = Math.sqrt(alphas[i]);
        }
        SamplerStep.Coefficients c = new SamplerStep.Coefficients(0f, 0f, 0f, 1f, 1f, 1f, 0f, 1f, (float) coefOut,
                (float) noiseScale, 0f, 0f, outUncond == null ? 0f : (float) guidance, false);
        SamplerStep.apply(ctx, xNext, x, out, outUncond, null, c, noise.key(), k + 1, noiseScale > 0 ? noise.idsView() : null);
    }

    @Override
    public Tensor sample(Context ctx, Denoiser model, int[] shape, int[] labels, SampleNoise noise, StepCallback callback) {
        Objects.requireNonNull(model, "model");
        Tensor x = initialNoise(ctx, shape, noise);
        try {
            int n = x.dim(0);
            if (labels != null && labels.length != n) {
                throw new IllegalArgumentException("labels has " + labels.length + " entries but the batch is " + n);
            }
            StepCallback cb = callback == null ? StepCallback.NONE : callback;
            boolean guided = labels != null && guidance > 0;
            int total = steps();
            try (Tensor out = Tensor.empty(ctx, shape); Tensor outU = guided ? Tensor.empty(ctx, shape) : null) {
                for (int k = 0; k < total; k++) {
                    int[] t = modelTimesteps(k, n);
                    if (guided) { // both outputs, as one batch of 2N where the model can
                        model.predictGuided(ctx, out, outU, x, t, labels);
                    } else {
                        model.predict(ctx, out, x, t, labels == null ? null : labels.clone());
                    }
                    step(ctx, k, x, x, out, outU, noise);
                    if (!cb.onStep(k + 1, total, t[0], x)) {
                        throw new CancellationException("sampling cancelled after step " + (k + 1) + " of " + total);
                    }
                }
            }
            return x;
        } catch (RuntimeException e) {
            x.close();
            throw e;
        }
    }

    private static void requireBatch(int n, SampleNoise noise) {
        Objects.requireNonNull(noise, "noise");
        if (noise.size() != n) {
            throw new IllegalArgumentException("noise has " + noise.size() + " sample ids but the batch is " + n);
        }
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "annealed Langevin (%d levels x T=%d, eps=%.4g%s%s)", alphas.length,
                stepsPerLevel, stepSize, denoise ? ", denoised" : "", guidance > 0 ? ", w=" + guidance : "");
    }
}
