package org.diffusion4j.diffusion;

import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.ops.SamplerStep;

/**
 * A reverse-process sampler. Implementations are immutable and thread-safe: all per-call state
 * lives in {@link #sample}. Every step runs the one fused native update (guidance combine,
 * x̂_0, update, fresh Philox noise), so a seed gives the same samples on the CPU and on CUDA.
 */
public abstract class Sampler {
    private final NoiseSchedule schedule;
    private final double guidance;
    private final boolean clipX0;

    Sampler(NoiseSchedule schedule, double guidance, boolean clipX0) {
        this.schedule = Objects.requireNonNull(schedule, "schedule");
        if (!(guidance >= 0) || Double.isInfinite(guidance)) {
            throw new IllegalArgumentException("guidance weight is " + guidance + "; it must be finite and >= 0");
        }
        this.guidance = guidance;
        this.clipX0 = clipX0;
    }

    public NoiseSchedule schedule() {
        return schedule;
    }

    /** Classifier-free guidance weight w: ε̃ = (w + 1) ε(x, y) − w ε(x); 0 is the conditional model. */
    public double guidance() {
        return guidance;
    }

    /** The timestep indices visited, first to last (descending). */
    public abstract int[] timesteps();

    /** One step's coefficients from timestep index i of {@link #timesteps()}. */
    abstract Coefficients coefficients(int i);

    /** c0, c1, c2 and σ of x_{t−1} = c0 x̂_0 + c1 x_t + c2 ε̃ + σ z. */
    record Coefficients(int t, double coefX0, double coefXt, double coefEps, double sigma) {}

    /**
     * Draws samples of {@code shape}: x_T ~ N(0, I) from the Philox stream (seed, 0), then
     * every step. Labels (one per sample, or null) condition the predictor; with a guidance weight
     * above 0 each step also asks for the unconditional prediction.
     *
     * @return x_0 on ctx's device; the caller closes it
     * @throws CancellationException when the callback returns false
     */
    public Tensor sample(Context ctx, NoisePredictor model, int[] shape, int[] labels, long seed, StepCallback callback) {
        Objects.requireNonNull(ctx, "ctx");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(shape, "shape");
        StepCallback cb = callback == null ? StepCallback.NONE : callback;
        if (labels != null && labels.length != shape[0]) {
            throw new IllegalArgumentException("labels has " + labels.length + " entries but the batch is " + shape[0]);
        }
        boolean guided = labels != null && guidance > 0;
        ctx.setRng(seed, 0);
        int[] ts = timesteps();
        Tensor x = Tensor.empty(ctx, shape);
        long[] ids = new long[shape[0]];
        for (int n = 0; n < ids.length; n++) {
            ids[n] = n;
        }
        try (Tensor eps = Tensor.empty(ctx, shape);
                Tensor epsU = guided ? Tensor.empty(ctx, shape) : null) {
            x.fillNormal(0f, 1f);
            int[] t = new int[shape[0]];
            for (int i = 0; i < ts.length; i++) {
                Coefficients k = coefficients(i);
                Arrays.fill(t, k.t());
                model.predict(ctx, eps, x, t.clone(), labels == null ? null : labels.clone());
                if (guided) {
                    model.predict(ctx, epsU, x, t.clone(), null);
                }
                double ab = schedule.alphaBar(k.t());
                // ε-prediction: x̂_0 = x_t/√ᾱ − (√(1−ᾱ)/√ᾱ) ε, ε̂ = ε; noise keyed by (seed, step i, sample n)
                SamplerStep.Coefficients c = new SamplerStep.Coefficients((float) (1.0 / Math.sqrt(ab)),
                        (float) (-Math.sqrt(1.0 - ab) / Math.sqrt(ab)), 0f, 1f, (float) Math.sqrt(ab),
                        (float) (1.0 / Math.sqrt(1.0 - ab)), (float) k.coefX0(), (float) k.coefXt(),
                        (float) k.coefEps(), (float) k.sigma(), (float) guidance, clipX0);
                SamplerStep.apply(ctx, x, x, eps, guided ? epsU : null, c, seed, i, ids);
                if (!cb.onStep(i + 1, ts.length, k.t(), x)) {
                    throw new CancellationException("sampling cancelled after step " + (i + 1) + " of " + ts.length);
                }
            }
            return x;
        } catch (RuntimeException e) {
            x.close();
            throw e;
        }
    }
}
