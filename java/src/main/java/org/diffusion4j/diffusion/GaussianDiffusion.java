package org.diffusion4j.diffusion;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.Handles;
import org.diffusion4j.internal.Native;
import org.diffusion4j.ops.Axpby;
import org.diffusion4j.ops.Concat;
import org.diffusion4j.ops.MseLoss;

/**
 * The Gaussian diffusion process and its parameterisation, in one immutable object (the role of
 * improved-diffusion's {@code GaussianDiffusion}): the schedule, what the model outputs
 * ({@link ModelOutput}), how the reverse variance is set ({@link VarianceType}) and the training
 * loss ({@link LossType}). Every coefficient the trainer and the samplers use is computed here,
 * once per call, in float64; nothing else derives coefficients from the schedule.
 *
 * <p>Timestep indices are 0-based into this diffusion's schedule. A {@link #respace respaced}
 * diffusion runs over a sub-chain of the original timesteps; {@link #modelTimestep} maps its
 * indices back to the timestep the network was trained with.
 */
public final class GaussianDiffusion implements TrainingProcess {
    /** Metadata keys under which {@link #toMetadata()} records the process. */
    static final String PREFIX = "diffusion.";

    private final NoiseSchedule schedule;
    private final int[] timestepMap;
    private final ModelOutput output;
    private final VarianceType variance;
    private final LossType loss;
    private final double minSnrGamma;
    // float32 tables handed to the native q_sample
    private final float[] sqrtAlphaBar;
    private final float[] sqrtOneMinusAlphaBar;

    private GaussianDiffusion(NoiseSchedule schedule, int[] timestepMap, ModelOutput output, VarianceType variance,
            LossType loss, double minSnrGamma) {
        this.schedule = Objects.requireNonNull(schedule, "schedule");
        this.timestepMap = timestepMap;
        this.output = Objects.requireNonNull(output, "output");
        this.variance = Objects.requireNonNull(variance, "variance");
        this.loss = Objects.requireNonNull(loss, "loss");
        if (!(minSnrGamma > 0) || Double.isInfinite(minSnrGamma)) {
            throw new IllegalArgumentException("minSnrGamma is " + minSnrGamma + "; it must be finite and > 0");
        }
        this.minSnrGamma = minSnrGamma;
        int n = schedule.timesteps();
        sqrtAlphaBar = new float[n];
        sqrtOneMinusAlphaBar = new float[n];
        for (int t = 0; t < n; t++) {
            sqrtAlphaBar[t] = (float) Math.sqrt(schedule.alphaBar(t));
            sqrtOneMinusAlphaBar[t] = (float) Math.sqrt(1.0 - schedule.alphaBar(t));
        }
    }

    /** DDPM's setting over {@code schedule}: ε-prediction, σ² = β̃, L_simple. */
    public static GaussianDiffusion of(NoiseSchedule schedule) {
        return new GaussianDiffusion(schedule, null, ModelOutput.EPSILON, VarianceType.FIXED_BETA_TILDE, LossType.SIMPLE,
                5.0);
    }

    public GaussianDiffusion withOutput(ModelOutput o) {
        return new GaussianDiffusion(schedule, timestepMap, o, variance, loss, minSnrGamma);
    }

    public GaussianDiffusion withVariance(VarianceType v) {
        return new GaussianDiffusion(schedule, timestepMap, output, v, loss, minSnrGamma);
    }

    public GaussianDiffusion withLoss(LossType l) {
        return new GaussianDiffusion(schedule, timestepMap, output, variance, l, minSnrGamma);
    }

    /** The γ of {@link LossType#MIN_SNR} (default 5, the paper's choice). */
    public GaussianDiffusion withMinSnrGamma(double gamma) {
        return new GaussianDiffusion(schedule, timestepMap, output, variance, loss, gamma);
    }

    /**
     * The process restricted to the timesteps {@code kept} (ascending indices of this diffusion):
     * its schedule is {@link NoiseSchedule#respaced}, so ᾱ at index i is ᾱ at kept[i] and the
     * posterior and β̃ follow from the respaced β (Improved DDPM §4). The network is still called
     * with the original timestep ({@link #modelTimestep}).
     */
    public GaussianDiffusion respace(int[] kept) {
        NoiseSchedule s = schedule.respaced(kept);
        int[] map = new int[kept.length];
        for (int i = 0; i < kept.length; i++) {
            map[i] = modelTimestep(kept[i]);
        }
        return new GaussianDiffusion(s, map, output, variance, loss, minSnrGamma);
    }

    public NoiseSchedule schedule() {
        return schedule;
    }

    public int timesteps() {
        return schedule.timesteps();
    }

    public ModelOutput output() {
        return output;
    }

    public VarianceType variance() {
        return variance;
    }

    public LossType loss() {
        return loss;
    }

    public double minSnrGamma() {
        return minSnrGamma;
    }

    /** The timestep the network sees at index t (t itself unless respaced). */
    public int modelTimestep(int t) {
        schedule.checkIndex(t);
        return timestepMap == null ? t : timestepMap[t];
    }

    // ---- the forward process q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I) (DDPM eq. 4) ----------------

    public double alphaBar(int t) {
        return schedule.alphaBar(t);
    }

    /** SNR(t) = ᾱ_t / (1 − ᾱ_t). */
    public double snr(int t) {
        double ab = schedule.alphaBar(t);
        return ab / (1.0 - ab);
    }

    /**
     * Draws x_t ~ q(x_t | x_0) for each sample in one fused native pass, writing the noise drawn
     * into {@code eps}. The noise comes from {@code ctx}'s Philox stream, which advances (the
     * trainer's stream; samplers use keyed per-sample noise instead).
     *
     * @param xT output, same shape as {@code x0}
     * @param eps output, same shape as {@code x0}
     * @param x0 clean data, shape (N, ...)
     * @param t one timestep index in [0, T) per sample
     */
    public void qSample(Context ctx, Tensor xT, Tensor eps, Tensor x0, int[] t) {
        Objects.requireNonNull(ctx, "ctx");
        Objects.requireNonNull(xT, "xT");
        Objects.requireNonNull(eps, "eps");
        Objects.requireNonNull(x0, "x0");
        checkTimesteps(t, x0);
        Native.check(D4jNative.d4j_q_sample(Handles.ctx(ctx), Handles.tensor(xT), Handles.tensor(eps),
                Handles.tensor(x0), t, sqrtAlphaBar, sqrtOneMinusAlphaBar, t.length, sqrtAlphaBar.length), ctx, xT, eps, x0);
    }

    // ---- the posterior q(x_{t−1} | x_t, x_0) = N(c0 x_0 + c1 x_t, β̃_t I) (DDPM eqs. 6–7) -----------

    /** β̃_t = β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t), the posterior variance. */
    public double posteriorVariance(int t) {
        return schedule.beta(t) * (1.0 - schedule.alphaBarPrev(t)) / (1.0 - schedule.alphaBar(t));
    }

    /** The posterior mean's coefficient of x_0: β_t √ᾱ_{t−1} / (1 − ᾱ_t). */
    public double posteriorMeanCoefX0(int t) {
        return schedule.beta(t) * Math.sqrt(schedule.alphaBarPrev(t)) / (1.0 - schedule.alphaBar(t));
    }

    /** The posterior mean's coefficient of x_t: (1 − ᾱ_{t−1}) √α_t / (1 − ᾱ_t). */
    public double posteriorMeanCoefXt(int t) {
        return (1.0 - schedule.alphaBarPrev(t)) * Math.sqrt(1.0 - schedule.beta(t)) / (1.0 - schedule.alphaBar(t));
    }

    /**
     * log β̃_t with the t = 0 entry (where β̃ is 0) replaced by β̃ at t = 1, as Improved DDPM
     * clips it for the learned-variance interpolation.
     */
    public double posteriorLogVarianceClipped(int t) {
        schedule.checkIndex(t);
        return Math.log(t == 0 && timesteps() > 1 ? posteriorVariance(1) : posteriorVariance(t));
    }

    /** μ̃(x_t, x_0) = c0 x_0 + c1 x_t per sample into {@code mean}. */
    public void qPosteriorMean(Context ctx, Tensor mean, Tensor x0, Tensor xT, int[] t) {
        checkTimesteps(t, xT);
        float[] a = new float[t.length];
        float[] b = new float[t.length];
        for (int i = 0; i < t.length; i++) {
            a[i] = (float) posteriorMeanCoefX0(t[i]);
            b[i] = (float) posteriorMeanCoefXt(t[i]);
        }
        Axpby.apply(ctx, mean, x0, xT, a, b);
    }

    // ---- the reverse process p(x_{t−1} | x_t) = N(μ_θ, Σ_θ) ---------------------------------------

    /**
     * σ_t² of the reverse step at t under a fixed {@link VarianceType}.
     *
     * @throws UnsupportedOperationException for learned variance, which is per element and comes
     *     from the model ({@link #learnedLogVariance})
     */
    public double reverseVariance(int t) {
        return switch (variance) {
            case FIXED_BETA -> schedule.beta(t);
            case FIXED_BETA_TILDE -> posteriorVariance(t);
            case LEARNED_RANGE -> throw new UnsupportedOperationException("learned variance is per element and comes from "
                    + "the model's variance output: use learnedLogVariance(t, raw)");
        };
    }

    /** The upper end of the learned log-variance range at t: log β_t. */
    public double logVarianceMax(int t) {
        return Math.log(schedule.beta(t));
    }

    /** The lower end of the learned log-variance range at t: log β̃_t, clipped at t = 0 ({@link #posteriorLogVarianceClipped}). */
    public double logVarianceMin(int t) {
        return posteriorLogVarianceClipped(t);
    }

    /**
     * Improved DDPM's learned variance (Nichol and Dhariwal 2021, eq. 15):
     * log Σ_θ = f log β_t + (1 − f) log β̃_t with f = (raw + 1)/2, raw the network's variance
     * output. As in the paper (and improved-diffusion's LEARNED_RANGE) f is not constrained to
     * [0, 1]: the model may leave the interval if the bound asks it to.
     */
    public double learnedLogVariance(int t, double raw) {
        double f = 0.5 * (raw + 1.0);
        return f * logVarianceMax(t) + (1.0 - f) * logVarianceMin(t);
    }

    /**
     * The model's log-variance at t under a fixed {@link VarianceType}, as the bound uses it:
     * log σ_t² for t ≥ 1 and, at t = 0 where β̃ is 0, log β̃ at index 1 for both fixed types
     * (improved-diffusion's clipped log-variance; its FIXED_LARGE replaces β_0 by the same β̃
     * "to get a better decoder log likelihood").
     */
    public double fixedLogVariance(int t) {
        return t == 0 ? posteriorLogVarianceClipped(0) : Math.log(reverseVariance(t));
    }

    /**
     * μ_θ(x_t, t) and Σ_θ from a model output: x̂_0 from the output (clipped to [−1, 1] when
     * {@code clip}, on the host: a slow path meant for evaluation, not for sampling loops, which
     * use the fused step), then the posterior mean μ̃(x_t, x̂_0).
     *
     * @param mean output μ_θ, the shape of x_t
     * @param predX0 output x̂_0, the shape of x_t
     * @return σ_t² per sample
     */
    public double[] pMeanVariance(Context ctx, Tensor mean, Tensor predX0, Tensor xT, Tensor modelOut, int[] t,
            boolean clip) {
        convert(ctx, predX0, ModelOutput.X0, xT, modelOut, output, t);
        if (clip) {
            float[] v = predX0.toArray();
            for (int i = 0; i < v.length; i++) {
                v[i] = Math.max(-1f, Math.min(1f, v[i]));
            }
            predX0.copyFrom(v);
        }
        qPosteriorMean(ctx, mean, predX0, xT, t);
        double[] var = new double[t.length];
        for (int i = 0; i < t.length; i++) {
            var[i] = reverseVariance(t[i]);
        }
        return var;
    }

    // ---- parameterisations: ε, x_0 and v as affine functions of (x_t, output) ---------------------

    /** target = ofXt · x_t + ofOutput · output. */
    public record Affine(double ofXt, double ofOutput) {}

    /**
     * The map from a quantity of kind {@code from} to one of kind {@code to} at timestep t, given
     * x_t = √ᾱ x_0 + √(1−ᾱ) ε and v = √ᾱ ε − √(1−ᾱ) x_0:
     * x_0 = (x_t − √(1−ᾱ) ε)/√ᾱ = √ᾱ x_t − √(1−ᾱ) v; ε = (x_t − √ᾱ x_0)/√(1−ᾱ) = √(1−ᾱ) x_t + √ᾱ v.
     */
    public Affine convert(ModelOutput from, ModelOutput to, int t) {
        double ab = schedule.alphaBar(t);
        double a = Math.sqrt(ab);
        double s = Math.sqrt(1.0 - ab);
        Affine x0 = switch (from) { // x_0 from `from`
            case EPSILON -> new Affine(1.0 / a, -s / a);
            case X0 -> new Affine(0.0, 1.0);
            case V -> new Affine(a, -s);
        };
        Affine eps = switch (from) { // ε from `from`
            case EPSILON -> new Affine(0.0, 1.0);
            case X0 -> new Affine(1.0 / s, -a / s);
            case V -> new Affine(s, a);
        };
        return switch (to) {
            case X0 -> x0;
            case EPSILON -> eps;
            // v = √ᾱ ε − √(1−ᾱ) x_0
            case V -> from == ModelOutput.V ? new Affine(0.0, 1.0)
                    : new Affine(a * eps.ofXt() - s * x0.ofXt(), a * eps.ofOutput() - s * x0.ofOutput());
        };
    }

    /** Writes into {@code dst} the quantity {@code to} given x_t and {@code value} of kind {@code from}. */
    public void convert(Context ctx, Tensor dst, ModelOutput to, Tensor xT, Tensor value, ModelOutput from, int[] t) {
        checkTimesteps(t, xT);
        float[] a = new float[t.length];
        float[] b = new float[t.length];
        for (int i = 0; i < t.length; i++) {
            Affine f = convert(from, to, t[i]);
            a[i] = (float) f.ofXt();
            b[i] = (float) f.ofOutput();
        }
        Axpby.apply(ctx, dst, xT, value, a, b);
    }

    /**
     * The score ∇ log q(x_t) a model output implies (Song et al. 2021's link between DDPM and
     * score models): s = −ε̂/√(1 − ᾱ_t), with ε̂ the output converted to ε (Tweedie: E[ε | x_t] =
     * −√(1 − ᾱ_t) ∇ log q(x_t)), as s = ofXt·x_t + ofOutput·o.
     */
    public Affine scoreOf(ModelOutput from, int t) {
        Affine eps = convert(from, ModelOutput.EPSILON, t);
        double k = -1.0 / Math.sqrt(1.0 - schedule.alphaBar(t));
        return new Affine(k * eps.ofXt(), k * eps.ofOutput());
    }

    /** Writes into {@code dst} the score {@link #scoreOf} the model output {@code out} (of this process's kind) implies at x_t. */
    public void score(Context ctx, Tensor dst, Tensor xT, Tensor out, int[] t) {
        checkTimesteps(t, xT);
        float[] a = new float[t.length];
        float[] b = new float[t.length];
        for (int i = 0; i < t.length; i++) {
            Affine f = scoreOf(output, t[i]);
            a[i] = (float) f.ofXt();
            b[i] = (float) f.ofOutput();
        }
        Axpby.apply(ctx, dst, xT, out, a, b);
    }

    // ---- training -------------------------------------------------------------------------------

    /**
     * The regression target of the model output for clean x_0 and the noise ε that made x_t:
     * {@code eps} itself for ε-prediction, {@code x0} itself for x_0-prediction (no copy), or
     * v = √ᾱ ε − √(1−ᾱ) x_0 written into {@code scratch} and returned.
     */
    public Tensor trainingTarget(Context ctx, Tensor scratch, Tensor x0, Tensor eps, int[] t) {
        checkTimesteps(t, x0);
        return switch (output) {
            case EPSILON -> eps;
            case X0 -> x0;
            case V -> {
                float[] a = new float[t.length];
                float[] b = new float[t.length];
                for (int i = 0; i < t.length; i++) {
                    a[i] = (float) Math.sqrt(schedule.alphaBar(t[i]));
                    b[i] = (float) -Math.sqrt(1.0 - schedule.alphaBar(t[i]));
                }
                Axpby.apply(ctx, scratch, eps, x0, a, b);
                yield scratch;
            }
        };
    }

    /** Each sample's loss weight under {@link #loss()}, or null for the unweighted L_simple. */
    public float[] lossWeights(int[] t) {
        Objects.requireNonNull(t, "t");
        return switch (loss) {
            case SIMPLE -> null;
            case HYBRID -> null; // L_simple's part is unweighted
            case MIN_SNR -> {
                float[] w = new float[t.length];
                for (int i = 0; i < t.length; i++) {
                    double snr = snr(t[i]);
                    double clipped = Math.min(snr, minSnrGamma);
                    w[i] = (float) switch (output) {
                        case EPSILON -> clipped / snr;
                        case X0 -> clipped;
                        case V -> clipped / (snr + 1.0);
                    };
                }
                yield w;
            }
        };
    }

    /**
     * The training loss of a model output against {@link #trainingTarget}, times {@code scale}
     * (1/A when A micro-batches accumulate into one step), into {@code loss} (shape (1)), its
     * gradient into {@code dOut} (the shape of {@code modelOut}):
     * <ul>
     * <li>L_simple or min-SNR: the (weighted) mean squared error;</li>
     * <li>{@link LossType#HYBRID} (Improved DDPM §3.1): {@code modelOut} holds the mean output
     *     and the raw variance output as the two halves of its channels (N, ..., 2C), and
     *     L_hybrid = L_simple + λ L_vlb with λ = {@value #HYBRID_LAMBDA}, L_vlb estimated as
     *     T · L_t in bits per dimension ({@link #vlbTerms}) with the mean output held fixed (a
     *     stop-gradient: L_vlb trains only the variance, L_simple only the mean). The VLB part
     *     runs on the host in float64, from x_t and the output downloaded once per step.</li>
     * </ul>
     *
     * @param x0 the clean batch (hybrid loss only; may be null otherwise)
     * @param xT the noised batch the model saw (hybrid loss only; may be null otherwise)
     */
    public void trainingLoss(Context ctx, Tensor loss, Tensor dOut, Tensor modelOut, Tensor target, Tensor x0, Tensor xT,
            int[] t, double scale) {
        checkTimesteps(t, modelOut);
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException("scale is " + scale + "; it must be finite and > 0");
        }
        if (this.loss == LossType.HYBRID) {
            hybridLoss(ctx, loss, dOut, modelOut, target, Objects.requireNonNull(x0, "x0"),
                    Objects.requireNonNull(xT, "xT"), t, scale);
            return;
        }
        MseLoss.forward(ctx, loss, dOut, modelOut, target, scaled(lossWeights(t), t.length, scale));
    }

    /**
     * The shape of the model output for x_t of {@code shape}: the same, or with twice the channels
     * (the mean output, then the raw variance) for learned variance.
     */
    public int[] outputShape(int[] shape) {
        int[] s = shape.clone();
        if (variance == VarianceType.LEARNED_RANGE) {
            s[s.length - 1] *= 2;
        }
        return s;
    }

    /**
     * Splits a learned-variance model output (N, ..., 2C) into its mean half and raw variance half
     * (N, ..., C each).
     *
     * @throws IllegalArgumentException naming the shapes when {@code out} is not {@link #outputShape}
     *     of {@code mean}'s
     */
    public void splitOutput(Context ctx, Tensor mean, Tensor raw, Tensor out) {
        int[] want = outputShape(mean.shape());
        if (variance != VarianceType.LEARNED_RANGE || !Arrays.equals(want, out.shape())) {
            throw new IllegalArgumentException("a learned-variance model output must be " + Arrays.toString(want)
                    + " (2C channels: mean and variance halves) for x_t " + Arrays.toString(mean.shape()) + "; it is "
                    + Arrays.toString(out.shape()) + " under " + variance.id() + " variance");
        }
        Concat.backward(ctx, mean, raw, out);
    }

    /** λ of L_hybrid = L_simple + λ L_vlb (Improved DDPM §3.1). */
    public static final double HYBRID_LAMBDA = 0.001;

    private void hybridLoss(Context ctx, Tensor loss, Tensor dOut, Tensor modelOut, Tensor target, Tensor x0, Tensor xT,
            int[] t, double scale) {
        if (variance != VarianceType.LEARNED_RANGE) {
            throw new IllegalStateException("the hybrid loss trains a learned variance; this diffusion's variance is "
                    + variance.id());
        }
        int[] shape = xT.shape();
        try (Tensor mean = Tensor.empty(ctx, shape); Tensor raw = Tensor.empty(ctx, shape);
                Tensor dMean = Tensor.empty(ctx, shape)) {
            splitOutput(ctx, mean, raw, modelOut);
            MseLoss.forward(ctx, loss, dMean, mean, target, scaled(null, t.length, scale));
            float[] rawV = raw.toArray();
            float[] dRaw = new float[rawV.length];
            double[] terms = vlbTerms(x0.toArray(), xT.toArray(), mean.toArray(), rawV, t, dRaw);
            int dim = rawV.length / t.length;
            // λ T L_t / (D ln 2), the mean over the batch, times scale
            double k = scale * HYBRID_LAMBDA * timesteps() / (dim * Math.log(2.0) * t.length);
            double vlb = 0;
            for (double term : terms) {
                vlb += term;
            }
            for (int i = 0; i < dRaw.length; i++) {
                dRaw[i] = (float) (k * dRaw[i]);
            }
            raw.copyFrom(dRaw);
            Concat.forward(ctx, dOut, dMean, raw);
            loss.copyFrom(new float[] {(float) (loss.toArray()[0] + k * vlb)});
        }
    }

    /** weights (null: all 1) times scale, or null when both are trivial. */
    private static float[] scaled(float[] w, int n, double scale) {
        if (scale == 1.0) {
            return w;
        }
        float[] s = new float[n];
        for (int i = 0; i < n; i++) {
            s[i] = (float) ((w == null ? 1.0 : w[i]) * scale);
        }
        return s;
    }

    // ---- the variational bound L_vlb = L_T + Σ L_{t−1} + L_0 (DDPM eq. 5) -------------------------

    /**
     * Each sample's variational-bound term at its index t[j], in nats summed over its elements:
     * <pre>
     * t ≥ 1:  KL(q(x_{t−1} | x_t, x_0) ‖ p_θ(x_{t−1} | x_t)) = Σ_e KL(N(μ̃_e, β̃_t) ‖ N(μ_θ,e, Σ_θ,e))
     * t = 0:  −log p_θ(x_0 | x_1) = −Σ_e log of the discretized decoder's mass of x_0,e
     * </pre>
     * with μ_θ = μ̃(x_t, x̂_0), x̂_0 the mean output converted by {@link #convert} (not clipped),
     * so μ̃ − μ_θ = c0 (x_0 − x̂_0); Σ_θ from {@link #learnedLogVariance} when {@code rawVar} is
     * given, else {@link #fixedLogVariance}. The terms are {@link GaussianLosses}' closed forms in
     * float64, the same the evaluation suite's bound adds up, and what the hybrid loss trains.
     *
     * @param x0 clean data, n · dim values (n = t.length)
     * @param xT x_t, n · dim
     * @param meanOut the model output in this diffusion's {@link ModelOutput}, n · dim
     * @param rawVar the model's raw variance output (n · dim), or null for this diffusion's fixed variance
     * @param dRaw null, or n · dim values that receive ∂ term_j / ∂ rawVar (needs rawVar)
     * @return n terms in nats
     */
    public double[] vlbTerms(float[] x0, float[] xT, float[] meanOut, float[] rawVar, int[] t, float[] dRaw) {
        java.util.Objects.requireNonNull(t, "t");
        int n = t.length;
        if (n == 0 || x0.length % n != 0 || xT.length != x0.length || meanOut.length != x0.length
                || (rawVar != null && rawVar.length != x0.length) || (dRaw != null && dRaw.length != x0.length)) {
            throw new IllegalArgumentException("vlbTerms: " + n + " timesteps for x0 of " + x0.length + ", x_t of "
                    + xT.length + ", output of " + meanOut.length + (rawVar == null ? "" : ", variance of " + rawVar.length)
                    + (dRaw == null ? "" : ", gradient of " + dRaw.length) + " values; each must hold n · dim");
        }
        if (dRaw != null && rawVar == null) {
            throw new IllegalArgumentException("vlbTerms: a gradient needs the raw variance output");
        }
        if (rawVar == null && variance == VarianceType.LEARNED_RANGE) {
            throw new IllegalArgumentException("vlbTerms: learned variance needs the model's raw variance output");
        }
        int dim = x0.length / n;
        double[] terms = new double[n];
        for (int j = 0; j < n; j++) {
            int tj = t[j];
            schedule.checkIndex(tj);
            Affine toX0 = convert(output, ModelOutput.X0, tj);
            double c0 = posteriorMeanCoefX0(tj);
            double c1 = posteriorMeanCoefXt(tj);
            double max = logVarianceMax(tj);
            double min = logVarianceMin(tj);
            double fixed = rawVar == null ? fixedLogVariance(tj) : 0.0;
            double dLogVarDRaw = 0.5 * (max - min);
            double logVarQ = tj == 0 ? 0.0 : Math.log(posteriorVariance(tj));
            double sum = 0;
            for (int e = j * dim, end = e + dim; e < end; e++) {
                double predX0 = toX0.ofXt() * xT[e] + toX0.ofOutput() * meanOut[e];
                double logVar = rawVar == null ? fixed : learnedLogVariance(tj, rawVar[e]);
                if (tj == 0) {
                    double mean = c0 * predX0 + c1 * xT[e];
                    sum -= GaussianLosses.discretizedLogLikelihood(x0[e], mean, 0.5 * logVar);
                    if (dRaw != null) { // log scale = ½ log Σ
                        dRaw[e] = (float) (-0.5 * dLogVarDRaw
                                * GaussianLosses.discretizedLogLikelihoodGradLogScale(x0[e], mean, 0.5 * logVar));
                    }
                } else {
                    double diff = c0 * (x0[e] - predX0);
                    sum += GaussianLosses.normalKl(diff, logVarQ, 0.0, logVar);
                    if (dRaw != null) {
                        dRaw[e] = (float) (dLogVarDRaw * GaussianLosses.normalKlGradLogVar2(diff, logVarQ, 0.0, logVar));
                    }
                }
            }
            terms[j] = sum;
        }
        return terms;
    }

    // ---- reverse steps for the samplers ---------------------------------------------------------

    /**
     * DDPM's ancestral step from index i to i − 1 (Algorithm 2, with x̂_0 from the model output):
     * the posterior mean μ̃(x_t, x̂_0) plus σ z, σ² = β_i or β̃_i of this (possibly respaced)
     * process, or with learned variance the model's Σ_θ between this process's β_i and β̃_i
     * (Improved DDPM §4: a respaced chain interpolates between its own respaced β and β̃), and
     * no noise at i = 0. A fixed-variance step records log Σ ({@link #fixedLogVariance}) as both
     * ends of its log-variance range, for classifier guidance's mean shift.
     */
    public StepCoefficients ancestralStep(int i) {
        if (variance == VarianceType.LEARNED_RANGE) { // Σ_θ per element from the model; σ scales it
            StepCoefficients c = step(i, posteriorMeanCoefX0(i), posteriorMeanCoefXt(i), 0.0, i == 0 ? 0.0 : 1.0);
            return new StepCoefficients(c.timestep(), c.alphaBar(), c.alphaBarPrev(), c.x0FromXt(), c.x0FromOut(),
                    c.epsFromXt(), c.epsFromOut(), c.coefX0(), c.coefXt(), c.coefEps(), c.sigma(), true,
                    logVarianceMax(i), logVarianceMin(i));
        }
        double var = i == 0 ? 0.0 : reverseVariance(i);
        StepCoefficients c = step(i, posteriorMeanCoefX0(i), posteriorMeanCoefXt(i), 0.0, Math.sqrt(var));
        double logVar = fixedLogVariance(i); // Σ of classifier guidance's mean shift (β̃ at index 1 on the last step)
        return new StepCoefficients(c.timestep(), c.alphaBar(), c.alphaBarPrev(), c.x0FromXt(), c.x0FromOut(),
                c.epsFromXt(), c.epsFromOut(), c.coefX0(), c.coefXt(), c.coefEps(), c.sigma(), false, logVar, logVar);
    }

    /**
     * DDIM's generalized step from index i to i − 1 (Song et al. 2021, eq. 12):
     * x_prev = √ᾱ_prev x̂_0 + √(1 − ᾱ_prev − σ²) ε̂ + σ z,
     * σ = η √((1 − ᾱ_prev)/(1 − ᾱ_i)) √(1 − ᾱ_i/ᾱ_prev), ᾱ_prev = 1 after the last step.
     */
    public StepCoefficients ddimStep(int i, double eta) {
        double ab = schedule.alphaBar(i);
        double abPrev = schedule.alphaBarPrev(i);
        double sigma = eta * Math.sqrt((1 - abPrev) / (1 - ab)) * Math.sqrt(1 - ab / abPrev);
        double dir = Math.sqrt(Math.max(0.0, 1 - abPrev - sigma * sigma)); // the direction pointing to x_t
        return step(i, Math.sqrt(abPrev), 0.0, dir, sigma);
    }

    private StepCoefficients step(int i, double coefX0, double coefXt, double coefEps, double sigma) {
        Affine x0 = convert(output, ModelOutput.X0, i);
        Affine eps = convert(output, ModelOutput.EPSILON, i);
        return new StepCoefficients(modelTimestep(i), schedule.alphaBar(i), schedule.alphaBarPrev(i), x0.ofXt(),
                x0.ofOutput(), eps.ofXt(), eps.ofOutput(), coefX0, coefXt, coefEps, sigma);
    }

    // ---- checkpoints ----------------------------------------------------------------------------

    /**
     * The whole process as checkpoint metadata: schedule kind and parameters (or every β of a
     * custom schedule, as exact decimal doubles), T, model output, variance, loss and γ.
     */
    public Map<String, String> toMetadata() {
        if (timestepMap != null) {
            throw new IllegalStateException("a respaced diffusion is a sampling plan; record the trained process");
        }
        Map<String, String> m = new LinkedHashMap<>();
        m.put(PREFIX + "schedule", schedule.kind().name().toLowerCase(java.util.Locale.ROOT));
        m.put(PREFIX + "timesteps", Integer.toString(timesteps()));
        switch (schedule.kind()) {
            case LINEAR -> {
                m.put(PREFIX + "beta_start", Double.toString(schedule.betaStart()));
                m.put(PREFIX + "beta_end", Double.toString(schedule.betaEnd()));
            }
            case COSINE -> { }
            case CUSTOM -> {
                StringBuilder sb = new StringBuilder();
                for (double b : schedule.betas()) {
                    sb.append(sb.length() == 0 ? "" : ",").append(b);
                }
                m.put(PREFIX + "betas", sb.toString());
            }
        }
        m.put(PREFIX + "output", output.id());
        m.put(PREFIX + "variance", variance.id());
        m.put(PREFIX + "loss", loss.id());
        m.put(PREFIX + "min_snr_gamma", Double.toString(minSnrGamma));
        return m;
    }

    /** Whether {@code meta} records a process (format 3 and later). */
    public static boolean inMetadata(Map<String, String> meta) {
        return meta.containsKey(PREFIX + "schedule");
    }

    /**
     * Rebuilds what {@link #toMetadata()} wrote.
     *
     * @throws IllegalArgumentException naming the key whose value is missing or malformed
     */
    public static GaussianDiffusion fromMetadata(Map<String, String> meta) {
        String kind = require(meta, "schedule");
        int t = parseInt(meta, "timesteps", 1, NoiseSchedule.MAX_TIMESTEPS);
        NoiseSchedule s = switch (kind) {
            case "linear" -> NoiseSchedule.linear(t, parseDouble(meta, "beta_start"), parseDouble(meta, "beta_end"));
            case "cosine" -> NoiseSchedule.cosine(t);
            case "custom" -> {
                String[] parts = require(meta, "betas").split(",", -1);
                if (parts.length != t) {
                    throw new IllegalArgumentException(PREFIX + "betas has " + parts.length + " values but "
                            + PREFIX + "timesteps is " + t);
                }
                double[] b = new double[t];
                for (int i = 0; i < t; i++) {
                    try {
                        b[i] = Double.parseDouble(parts[i]);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException(PREFIX + "betas[" + i + "] is \"" + parts[i] + "\", not a number");
                    }
                }
                yield NoiseSchedule.ofBetas(b);
            }
            default -> throw new IllegalArgumentException(PREFIX + "schedule is \"" + kind
                    + "\"; expected linear, cosine or custom");
        };
        return new GaussianDiffusion(s, null, ModelOutput.ofId(require(meta, "output")),
                VarianceType.ofId(require(meta, "variance")), LossType.ofId(require(meta, "loss")),
                parseDouble(meta, "min_snr_gamma"));
    }

    private static String require(Map<String, String> meta, String key) {
        String v = meta.get(PREFIX + key);
        if (v == null) {
            throw new IllegalArgumentException("metadata lacks " + PREFIX + key);
        }
        return v;
    }

    private static int parseInt(Map<String, String> meta, String key, int min, int max) {
        String v = require(meta, key);
        try {
            int x = Integer.parseInt(v);
            if (x < min || x > max) {
                throw new IllegalArgumentException(PREFIX + key + " is " + x + "; it must be " + min + " to " + max);
            }
            return x;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PREFIX + key + " is \"" + v + "\", not an integer");
        }
    }

    private static double parseDouble(Map<String, String> meta, String key) {
        String v = require(meta, key);
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PREFIX + key + " is \"" + v + "\", not a number");
        }
    }

    private void checkTimesteps(int[] t, Tensor x) {
        Objects.requireNonNull(t, "t");
        Objects.requireNonNull(x, "x");
        if (t.length != x.dim(0)) {
            throw new IllegalArgumentException("t has " + t.length + " timesteps but the tensor " + Arrays.toString(x.shape())
                    + " has " + x.dim(0) + " samples");
        }
        for (int i = 0; i < t.length; i++) {
            if (t[i] < 0 || t[i] >= timesteps()) {
                throw new IllegalArgumentException("t[" + i + "] is " + t[i] + "; timesteps must be in [0, " + timesteps() + ")");
            }
        }
    }

    /** Same schedule, map and parameterisation. */
    @Override
    public boolean equals(Object o) {
        return o instanceof GaussianDiffusion d && d.schedule.equals(schedule) && Arrays.equals(d.timestepMap, timestepMap)
                && d.output == output && d.variance == variance && d.loss == loss
                && Double.compare(d.minSnrGamma, minSnrGamma) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(schedule, output, variance, loss);
    }

    @Override
    public String toString() {
        return "GaussianDiffusion[" + schedule + ", " + output.id() + ", " + variance.id() + ", " + loss.id()
                + (loss == LossType.MIN_SNR ? " gamma " + minSnrGamma : "") + (timestepMap == null ? "" : ", respaced") + "]";
    }
}
