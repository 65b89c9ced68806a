package org.diffusion4j.diffusion;

import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.function.BiFunction;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.ops.Axpby;
import org.diffusion4j.ops.KeyedNoise;
import org.diffusion4j.ops.SamplerStep;
import org.diffusion4j.ops.VarianceShift;

/**
 * A sampling plan: the timesteps a reverse process visits and each step's float64
 * coefficients, computed once by the {@link GaussianDiffusion} at construction. Immutable and
 * thread-safe: one plan serves any number of threads, each with its own context; per-call state
 * lives in the call. {@link #step} is public, so a caller can write the loop (inpainting, custom
 * guidance, logging); {@link #sample} is that loop:
 * <pre>{@code
 * Tensor x = sampler.initialNoise(ctx, shape, noise);                 // x_T, draw 0
 * for (int k = 0; k < sampler.steps(); k++) {
 *     int[] t = sampler.modelTimesteps(k, n);
 *     model.predict(ctx, out, x, t, labels);
 *     sampler.step(ctx, k, x, x, out, null, noise);                    // x ← x_{t_{k+1}}, draw k + 1
 * }
 * }</pre>
 * Every step runs one fused native update (guidance combine, x̂_0 and ε̂ from the output, the
 * update, fresh keyed Philox noise); noise is keyed by {@link SampleNoise}, so an image depends on
 * (seed, sample id) only and the context's RNG is never touched.
 */
public abstract class Sampler implements ImageSampler {
    private final GaussianDiffusion diffusion;
    private final double guidance;
    private final boolean clipX0;
    private final StepCoefficients[] plan;

    /** @param plan step k's coefficients, k = 0 .. S − 1, first (noisiest) to last */
    Sampler(GaussianDiffusion diffusion, double guidance, boolean clipX0, StepCoefficients[] plan) {
        this.diffusion = Objects.requireNonNull(diffusion, "diffusion");
        if (!(guidance >= 0) || Double.isInfinite(guidance)) {
            throw new IllegalArgumentException("guidance weight is " + guidance + "; it must be finite and >= 0");
        }
        this.guidance = guidance;
        this.clipX0 = clipX0;
        this.plan = plan.clone();
    }

    /** The respaced chain's plan: step k goes from index S − 1 − k to S − 2 − k. */
    static StepCoefficients[] plan(GaussianDiffusion chain, BiFunction<GaussianDiffusion, Integer, StepCoefficients> stepAt) {
        int s = chain.timesteps();
        StepCoefficients[] p = new StepCoefficients[s];
        for (int k = 0; k < s; k++) {
            p[k] = stepAt.apply(chain, s - 1 - k);
        }
        return p;
    }

    /** The diffusion process (as trained) this plan samples. */
    public GaussianDiffusion diffusion() {
        return diffusion;
    }

    /** Classifier-free guidance weight w: o = (w + 1) o(x, y) − w o(x); 0 is the conditional model. */
    @Override
    public double guidance() {
        return guidance;
    }

    public boolean clipsX0() {
        return clipX0;
    }

    /** S, the number of steps. */
    public int steps() {
        return plan.length;
    }

    /** S: one network evaluation per step. */
    @Override
    public int networkEvaluations() {
        return plan.length;
    }

    /** The model timesteps visited, first to last (descending). */
    public int[] timesteps() {
        int[] ts = new int[plan.length];
        for (int k = 0; k < plan.length; k++) {
            ts[k] = plan[k].timestep();
        }
        return ts;
    }

    /** Step k's model timestep, repeated for a batch of n (the {@code t} to predict with). */
    public int[] modelTimesteps(int k, int n) {
        int[] t = new int[n];
        Arrays.fill(t, coefficients(k).timestep());
        return t;
    }

    /** Step k's coefficients. */
    public StepCoefficients coefficients(int k) {
        if (k < 0 || k >= plan.length) {
            throw new IllegalArgumentException("step " + k + " is outside [0, " + plan.length + ")");
        }
        return plan[k];
    }

    /** x_T ~ N(0, I) for each sample: draw 0 of its keyed noise. The caller closes the tensor. */
    public Tensor initialNoise(Context ctx, int[] shape, SampleNoise noise) {
        Objects.requireNonNull(shape, "shape");
        requireBatch(shape[0], noise);
        Tensor x = Tensor.empty(ctx, shape);
        try {
            KeyedNoise.apply(ctx, x, null, 0f, 1f, noise.key(), 0, noise.idsView());
            return x;
        } catch (RuntimeException e) {
            x.close();
            throw e;
        }
    }

    /**
     * The first step of an image-to-image run (SDEdit, Meng et al. 2022) with {@code strength} in
     * (0, 1]: of S steps, the last floor(S · strength) are run (diffusers' rule), so 1 runs the
     * whole chain and small strengths only refine.
     *
     * @throws IllegalArgumentException when strength is outside (0, 1] or leaves no step
     */
    public int startStep(double strength) {
        if (!(strength > 0 && strength <= 1)) {
            throw new IllegalArgumentException("strength is " + strength + "; it must be in (0, 1]");
        }
        int run = (int) Math.min(Math.floor(plan.length * strength), plan.length);
        if (run < 1) {
            throw new IllegalArgumentException("strength " + strength + " of " + plan.length + " steps runs no step; "
                    + "use at least " + (1.0 / plan.length));
        }
        return plan.length - run;
    }

    /**
     * x at step k's timestep from clean images: x = √ᾱ x_0 + √(1 − ᾱ) z, z draw 0 of the keyed
     * noise (q(x_t | x_0), DDPM eq. 4).
     */
    public void noiseTo(Context ctx, Tensor x, Tensor x0, int k, SampleNoise noise) {
        Objects.requireNonNull(x0, "x0");
        requireBatch(x0.dim(0), noise);
        double ab = coefficients(k).alphaBar();
        KeyedNoise.apply(ctx, x, x0, (float) Math.sqrt(ab), (float) Math.sqrt(1 - ab), noise.key(), 0, noise.idsView());
    }

    /**
     * The shape of the model output this plan's steps take for x_t of {@code shape}: the same,
     * or with twice the channels (the mean output, then the raw variance) for learned variance.
     */
    public int[] outputShape(int[] shape) {
        return diffusion.outputShape(shape);
    }

    /** How {@link #step(Context, int, Tensor, Tensor, Tensor, Tensor, SampleNoise, Tensor, double)} applies classifier guidance. */
    public abstract GuidanceForm guidanceForm();

    /**
     * Step k: x_prev from x_t and the model output(s) at {@link #coefficients}(k).timestep(), with
     * draw k + 1 of each sample's keyed noise. {@code xPrev} may be {@code xT} (in place). With
     * learned variance the outputs have {@link #outputShape} (2C channels): guidance combines the
     * mean halves, and a DDPM step's noise takes the conditional output's variance (a DDIM step
     * ignores it).
     *
     * @param out the model output (conditional when guiding)
     * @param outUncond the unconditional output for classifier-free guidance, or null
     */
    public void step(Context ctx, int k, Tensor xPrev, Tensor xT, Tensor out, Tensor outUncond, SampleNoise noise) {
        step(ctx, k, xPrev, xT, out, outUncond, noise, null, 0);
    }

    /**
     * Step k with classifier guidance (Dhariwal &amp; Nichol 2021): {@code classifierGrad} holds
     * g = ∇_{x_t} log p_φ(y | x_t) at x_t (x_t's shape), {@code scale} is s. In the
     * {@link GuidanceForm#MEAN} form (DDPM) the step's mean moves by s Σ ⊙ g, Σ the step's
     * reverse variance (per element when learned; β̃ at index 1 on the last step); in the
     * {@link GuidanceForm#SCORE} form (DDIM) the noise estimate becomes ε̂ − s √(1 − ᾱ_t) g before
     * the usual update (x̂_0 follows from it, then the optional clip). With classifier-free
     * guidance as well, the shift applies to the combined output. A null gradient is the unguided step.
     *
     * @throws IllegalArgumentException when the gradient is not x_t's shape or the scale is not finite and >= 0
     */
    public void step(Context ctx, int k, Tensor xPrev, Tensor xT, Tensor out, Tensor outUncond, SampleNoise noise,
            Tensor classifierGrad, double scale) {
        if (!needsScratch(classifierGrad != null && scale != 0)) {
            step(ctx, k, xPrev, xT, out, outUncond, noise, classifierGrad, scale, null);
            return;
        }
        try (Scratch s = new Scratch(ctx, xT.shape(), outUncond != null)) {
            step(ctx, k, xPrev, xT, out, outUncond, noise, classifierGrad, scale, s);
        }
    }

    /** Whether a step needs the mean halves in scratch: a learned variance's split, or the score form's shifted output. */
    private boolean needsScratch(boolean steered) {
        return diffusion.variance() == VarianceType.LEARNED_RANGE || (steered && guidanceForm() == GuidanceForm.SCORE);
    }

    /** The mean halves (and raw variances) of the outputs a step works on; the loop keeps one for all its steps. */
    private final class Scratch implements AutoCloseable {
        final Tensor mean;
        final Tensor raw;
        final Tensor meanU;
        final Tensor rawU;

        Scratch(Context ctx, int[] shape, boolean uncond) {
            boolean learned = diffusion.variance() == VarianceType.LEARNED_RANGE;
            mean = Tensor.empty(ctx, shape);
            raw = learned ? Tensor.empty(ctx, shape) : null;
            meanU = uncond ? Tensor.empty(ctx, shape) : null;
            rawU = uncond && learned ? Tensor.empty(ctx, shape) : null;
        }

        @Override
        public void close() {
            for (Tensor t : new Tensor[] {mean, raw, meanU, rawU}) {
                if (t != null) {
                    t.close();
                }
            }
        }
    }

    private void step(Context ctx, int k, Tensor xPrev, Tensor xT, Tensor out, Tensor outUncond, SampleNoise noise,
            Tensor classifierGrad, double scale, Scratch scratch) {
        StepCoefficients c = coefficients(k);
        requireBatch(xT.dim(0), noise);
        boolean guided = classifierGrad != null && scale != 0;
        if (classifierGrad != null) {
            if (!Arrays.equals(classifierGrad.shape(), xT.shape())) {
                throw new IllegalArgumentException("the classifier gradient has shape " + Arrays.toString(classifierGrad.shape())
                        + " but x_t " + Arrays.toString(xT.shape()));
            }
            if (!(scale >= 0) || Double.isInfinite(scale)) {
                throw new IllegalArgumentException("classifier scale is " + scale + "; it must be finite and >= 0");
            }
        }
        SamplerStep.Coefficients f = new SamplerStep.Coefficients((float) c.x0FromXt(), (float) c.x0FromOut(),
                (float) c.epsFromXt(), (float) c.epsFromOut(), (float) c.sqrtAlphaBar(),
                (float) c.recipSqrtOneMinusAlphaBar(), (float) c.coefX0(), (float) c.coefXt(), (float) c.coefEps(),
                (float) c.sigma(), (float) c.logVarMax(), (float) c.logVarMin(),
                outUncond == null ? 0f : (float) guidance, clipX0);
        boolean learned = diffusion.variance() == VarianceType.LEARNED_RANGE;
        boolean shiftScore = guided && guidanceForm() == GuidanceForm.SCORE;
        Tensor mean = out;
        Tensor meanU = outUncond;
        Tensor raw = null;
        if (learned || shiftScore) {
            mean = scratch.mean;
            meanU = outUncond == null ? null : scratch.meanU;
        }
        if (learned) {
            raw = scratch.raw;
            diffusion.splitOutput(ctx, mean, raw, out);
            if (outUncond != null) {
                diffusion.splitOutput(ctx, meanU, scratch.rawU, outUncond);
            }
        }
        if (shiftScore) {
            // ε̂ = epsFromXt x_t + epsFromOut o: moving ε̂ by −s √(1 − ᾱ) g moves o by that over epsFromOut
            // (x̂_0 moves with it, as the linear maps of one output stay consistent); on both outputs of
            // classifier-free guidance, whose combination (w + 1) o − w o_u then moves by the same
            float[] one = filled(xT.dim(0), 1f);
            float[] b = filled(xT.dim(0), (float) (-scale * Math.sqrt(1 - c.alphaBar()) / c.epsFromOut()));
            Axpby.apply(ctx, mean, learned ? mean : out, classifierGrad, one, b);
            if (meanU != null) {
                Axpby.apply(ctx, meanU, learned ? meanU : outUncond, classifierGrad, one, b);
            }
        }
        SamplerStep.apply(ctx, xPrev, xT, mean, meanU, c.learnedVariance() ? raw : null, f, noise.key(), k + 1,
                noise.idsView());
        if (guided && !shiftScore) { // the mean form: x_prev += s Σ ⊙ g, Σ per element when learned
            VarianceShift.apply(ctx, xPrev, classifierGrad, c.learnedVariance() ? raw : null, (float) scale,
                    (float) c.logVarMax(), (float) c.logVarMin());
        }
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }

    /**
     * Draws samples of {@code shape} from x_T: labels (one per sample, or null) condition the
     * model; with a guidance weight above 0 each step also asks for the unconditional output.
     *
     * @return x_0 on ctx's device; the caller closes it
     * @throws CancellationException when the callback returns false
     */
    @Override
    public Tensor sample(Context ctx, Denoiser model, int[] shape, int[] labels, SampleNoise noise, StepCallback callback) {
        Objects.requireNonNull(shape, "shape");
        Tensor x = initialNoise(ctx, shape, noise);
        return run(ctx, model, x, 0, labels, noise, callback);
    }

    /** As {@link #sample(Context, Denoiser, int[], int[], SampleNoise, StepCallback)} with ids 0 .. N − 1. */
    public Tensor sample(Context ctx, Denoiser model, int[] shape, int[] labels, long seed, StepCallback callback) {
        Objects.requireNonNull(shape, "shape");
        return sample(ctx, model, shape, labels, SampleNoise.of(seed, shape[0]), callback);
    }

    /**
     * Image-to-image (SDEdit): noises {@code image} (clean, in [−1, 1]) to the timestep of
     * {@link #startStep}(strength) and runs the remaining steps.
     */
    public Tensor sampleFrom(Context ctx, Denoiser model, Tensor image, double strength, int[] labels, SampleNoise noise,
            StepCallback callback) {
        int start = startStep(strength);
        Tensor x = Tensor.empty(ctx, image.shape());
        try {
            noiseTo(ctx, x, image, start, noise);
        } catch (RuntimeException e) {
            x.close();
            throw e;
        }
        return run(ctx, model, x, start, labels, noise, callback);
    }

    /**
     * As {@link #sample(Context, Denoiser, int[], int[], SampleNoise, StepCallback)}, steered by
     * classifier guidance ({@code classifier} null: none): at each step the classifier's
     * gradient at x_t enters {@link #step(Context, int, Tensor, Tensor, Tensor, Tensor, SampleNoise, Tensor, double)}.
     * The model's labels (null for an unconditional model) and the classifier's are separate.
     */
    public Tensor sample(Context ctx, Denoiser model, int[] shape, int[] labels, SampleNoise noise, StepCallback callback,
            ClassifierGuidance classifier) {
        Objects.requireNonNull(shape, "shape");
        Tensor x = initialNoise(ctx, shape, noise);
        return run(ctx, model, x, 0, labels, noise, callback, classifier);
    }

    private Tensor run(Context ctx, Denoiser model, Tensor x, int start, int[] labels, SampleNoise noise,
            StepCallback callback) {
        return run(ctx, model, x, start, labels, noise, callback, null);
    }

    /** The loop: predict, (predict unconditionally), (the classifier's gradient), step, callback. Closes x on failure. */
    private Tensor run(Context ctx, Denoiser model, Tensor x, int start, int[] labels, SampleNoise noise,
            StepCallback callback, ClassifierGuidance classifier) {
        try {
            Objects.requireNonNull(model, "model");
            int n = x.dim(0);
            if (labels != null && labels.length != n) {
                throw new IllegalArgumentException("labels has " + labels.length + " entries but the batch is " + n);
            }
            if (classifier != null && classifier.labels().length != n) {
                throw new IllegalArgumentException("the classifier guidance has " + classifier.labels().length
                        + " labels but the batch is " + n);
            }
            StepCallback cb = callback == null ? StepCallback.NONE : callback;
            boolean guided = labels != null && guidance > 0;
            boolean steered = classifier != null && classifier.scale() > 0;
            int[] outShape = outputShape(x.shape());
            try (Tensor out = Tensor.empty(ctx, outShape); Tensor outU = guided ? Tensor.empty(ctx, outShape) : null;
                    Tensor grad = steered ? Tensor.empty(ctx, x.shape()) : null;
                    Scratch scratch = needsScratch(steered) ? new Scratch(ctx, x.shape(), guided) : null) {
                int[] classes = steered ? classifier.labels() : null;
                for (int k = start; k < plan.length; k++) {
                    int[] t = modelTimesteps(k, n);
                    if (guided) { // both outputs, as one batch of 2N where the model can
                        model.predictGuided(ctx, out, outU, x, t, labels);
                    } else {
                        model.predict(ctx, out, x, t, labels == null ? null : labels.clone());
                    }
                    if (steered) {
                        classifier.classifier().gradient(ctx, grad, x, t.clone(), classes.clone());
                    }
                    step(ctx, k, x, x, out, outU, noise, grad, steered ? classifier.scale() : 0, scratch);
                    if (!cb.onStep(k + 1, plan.length, t[0], x)) {
                        throw new CancellationException("sampling cancelled after step " + (k + 1) + " of " + plan.length);
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
}
