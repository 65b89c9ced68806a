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
import org.diffusion4j.ops.MseLoss;

/**
 * Denoising score matching over noise levels σ_1 &gt; … &gt; σ_L (Song &amp; Ermon 2019, NCSN): x̃ =
 * x + σ_i z, z ~ N(0, I), and the loss λ(σ_i) ‖s_θ(x̃, σ_i) + (x̃ − x)/σ_i²‖² with λ(σ) = σ², the
 * level i drawn uniformly per sample. The network output o is scaled by its level as NCSNv2's
 * technique 3 does, s_θ(x̃, σ) = −o(x̃, σ)/σ, so the weighted loss is exactly ‖o − z‖²: the
 * network predicts the noise, as DDPM's ε-prediction does, and the library's trainer, kernels and
 * samplers serve both. The loss is the mean over samples and elements (L_simple's normalisation).
 *
 * <p>The network is conditioned through its sinusoidal time embedding on c_i = k (L − 1 − i),
 * k = ⌊999/(L − 1)⌋: an affine function of log σ_i for geometric levels (c grows with σ, as DDPM's
 * t does, and spans about the same range).
 */
public final class ScoreMatching implements TrainingProcess {
    static final String PREFIX = "score.";
    /** The span of conditioning values, DDPM's T. */
    static final int CONDITIONING_RANGE = 1000;

    private final NoiseLevels levels;
    private final float[] ones;
    private final float[] sigmas;
    private final int stride;

    public ScoreMatching(NoiseLevels levels) {
        this.levels = Objects.requireNonNull(levels, "levels");
        int l = levels.levels();
        ones = new float[l];
        sigmas = new float[l];
        Arrays.fill(ones, 1f);
        for (int i = 0; i < l; i++) {
            sigmas[i] = (float) levels.sigma(i);
        }
        stride = l == 1 ? 0 : Math.max(1, (CONDITIONING_RANGE - 1) / (l - 1));
    }

    public NoiseLevels levels() {
        return levels;
    }

    /** L. */
    @Override
    public int timesteps() {
        return levels.levels();
    }

    /**
     * c_i = k (L − 1 − i), k = max(1, ⌊999/(L − 1)⌋): the value the network's time embedding sees
     * at level i, spread over [0, 999] as a DDPM's timesteps are; past 1000 levels k = 1 and c_i
     * runs to L − 1 (still distinct, and within the embedding's period).
     */
    @Override
    public int modelTimestep(int i) {
        levels.checkIndex(i);
        return stride * (levels.levels() - 1 - i);
    }

    /** x̃ = x0 + σ_{t[n]} z for each sample n, z written into eps (one fused pass, ctx's Philox stream). */
    @Override
    public void qSample(Context ctx, Tensor xT, Tensor eps, Tensor x0, int[] t) {
        Objects.requireNonNull(ctx, "ctx");
        Objects.requireNonNull(xT, "xT");
        Objects.requireNonNull(eps, "eps");
        checkLevels(t, Objects.requireNonNull(x0, "x0"));
        Native.check(D4jNative.d4j_q_sample(Handles.ctx(ctx), Handles.tensor(xT), Handles.tensor(eps), Handles.tensor(x0),
                t, ones, sigmas, t.length, sigmas.length), ctx, xT, eps, x0);
    }

    /** The noise z: the scaled output's target. */
    @Override
    public Tensor trainingTarget(Context ctx, Tensor scratch, Tensor x0, Tensor eps, int[] t) {
        checkLevels(t, Objects.requireNonNull(eps, "eps"));
        return eps;
    }

    /** σ²‖s + (x̃ − x)/σ²‖² = ‖o − z‖², the mean over samples and elements, times scale. */
    @Override
    public void trainingLoss(Context ctx, Tensor loss, Tensor dOut, Tensor modelOut, Tensor target, Tensor x0, Tensor xT,
            int[] t, double scale) {
        checkLevels(t, Objects.requireNonNull(modelOut, "modelOut"));
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException("scale is " + scale + "; it must be finite and > 0");
        }
        float[] w = null;
        if (scale != 1.0) {
            w = new float[t.length];
            Arrays.fill(w, (float) scale);
        }
        MseLoss.forward(ctx, loss, dOut, modelOut, target, w);
    }

    @Override
    public int[] outputShape(int[] shape) {
        return Objects.requireNonNull(shape, "shape").clone();
    }

    /** Writes the score s = −o/σ_{t[n]} of the network output o at each sample's level into {@code dst}. */
    public void score(Context ctx, Tensor dst, Tensor out, int[] t) {
        checkLevels(t, Objects.requireNonNull(out, "out"));
        float[] a = new float[t.length];
        for (int i = 0; i < t.length; i++) {
            a[i] = (float) (-1.0 / levels.sigma(t[i]));
        }
        Axpby.apply(ctx, dst, out, null, a, null);
    }

    /** The levels as metadata: their number and every σ as an exact decimal double, largest first. */
    @Override
    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(PREFIX + "levels", Integer.toString(levels.levels()));
        StringBuilder sb = new StringBuilder();
        for (double s : levels.sigmas()) {
            sb.append(sb.length() == 0 ? "" : ",").append(s);
        }
        m.put(PREFIX + "sigmas", sb.toString());
        m.put(PREFIX + "output", "noise"); // s = −o/σ
        return m;
    }

    /** Whether {@code meta} records a score model. */
    public static boolean inMetadata(Map<String, String> meta) {
        return meta.containsKey(PREFIX + "sigmas");
    }

    /**
     * Rebuilds what {@link #toMetadata()} wrote.
     *
     * @throws IllegalArgumentException naming the key whose value is missing or malformed
     */
    public static ScoreMatching fromMetadata(Map<String, String> meta) {
        String sig = meta.get(PREFIX + "sigmas");
        String n = meta.get(PREFIX + "levels");
        if (sig == null || n == null) {
            throw new IllegalArgumentException("metadata lacks " + PREFIX + (sig == null ? "sigmas" : "levels"));
        }
        String out = meta.getOrDefault(PREFIX + "output", "noise");
        if (!out.equals("noise")) {
            throw new IllegalArgumentException(PREFIX + "output is \"" + out + "\"; this diffusion4j reads noise");
        }
        String[] parts = sig.split(",", -1);
        int count;
        try {
            count = Integer.parseInt(n);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PREFIX + "levels is \"" + n + "\", not an integer");
        }
        if (count != parts.length) {
            throw new IllegalArgumentException(PREFIX + "sigmas has " + parts.length + " values but " + PREFIX + "levels is "
                    + count);
        }
        double[] s = new double[parts.length];
        for (int i = 0; i < s.length; i++) {
            try {
                s[i] = Double.parseDouble(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(PREFIX + "sigmas[" + i + "] is \"" + parts[i] + "\", not a number");
            }
        }
        try {
            return new ScoreMatching(NoiseLevels.of(s));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PREFIX + "sigmas: " + e.getMessage(), e);
        }
    }

    private void checkLevels(int[] t, Tensor x) {
        Objects.requireNonNull(t, "t");
        if (t.length != x.dim(0)) {
            throw new IllegalArgumentException("t has " + t.length + " levels but the tensor " + Arrays.toString(x.shape())
                    + " has " + x.dim(0) + " samples");
        }
        for (int i = 0; i < t.length; i++) {
            if (t[i] < 0 || t[i] >= levels.levels()) {
                throw new IllegalArgumentException("t[" + i + "] is " + t[i] + "; noise levels are in [0, " + levels.levels()
                        + ")");
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScoreMatching s && s.levels.equals(levels);
    }

    @Override
    public int hashCode() {
        return levels.hashCode();
    }

    @Override
    public String toString() {
        return "ScoreMatching[" + levels + ", s = -out/sigma, DSM with lambda = sigma^2]";
    }
}
