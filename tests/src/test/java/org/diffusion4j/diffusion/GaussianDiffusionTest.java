package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.testing.TestData;
import org.junit.jupiter.api.Test;

class GaussianDiffusionTest {
    static final NoiseSchedule[] SCHEDULES = {NoiseSchedule.linear(1000), NoiseSchedule.cosine(1000),
        NoiseSchedule.linear(100, 1e-3, 0.1)};

    /** Converting from → to → from is the identity, and to → to is the identity, in float64. */
    @Test
    void conversionsAreExactInverses() {
        for (NoiseSchedule s : SCHEDULES) {
            GaussianDiffusion d = GaussianDiffusion.of(s);
            for (int t = 0; t < s.timesteps(); t += 7) {
                for (ModelOutput from : ModelOutput.values()) {
                    for (ModelOutput to : ModelOutput.values()) {
                        GaussianDiffusion.Affine f = d.convert(from, to, t);
                        GaussianDiffusion.Affine g = d.convert(to, from, t);
                        // g(x, f(x, o)) = g.ofXt x + g.ofOutput (f.ofXt x + f.ofOutput o) = o
                        double ofXt = g.ofXt() + g.ofOutput() * f.ofXt();
                        double ofOut = g.ofOutput() * f.ofOutput();
                        double scale = Math.max(1, Math.abs(g.ofOutput() * f.ofXt()));
                        assertEquals(0.0, ofXt, 1e-12 * scale, s + " t=" + t + " " + from + "→" + to + "→" + from);
                        assertEquals(1.0, ofOut, 1e-12, s + " t=" + t + " " + from + "→" + to + "→" + from);
                    }
                }
            }
        }
    }

    /** Each conversion agrees with the definitions on concrete (x_0, ε). */
    @Test
    void conversionsFollowTheDefinitions() {
        SplittableRandom r = new SplittableRandom(1);
        for (NoiseSchedule s : SCHEDULES) {
            GaussianDiffusion d = GaussianDiffusion.of(s);
            for (int t = 0; t < s.timesteps(); t += 13) {
                double ab = s.alphaBar(t);
                double x0 = r.nextDouble(-1, 1);
                double eps = r.nextGaussian();
                double xt = Math.sqrt(ab) * x0 + Math.sqrt(1 - ab) * eps;
                double v = Math.sqrt(ab) * eps - Math.sqrt(1 - ab) * x0;
                double[] of = {eps, x0, v}; // in ModelOutput order
                for (ModelOutput from : ModelOutput.values()) {
                    for (ModelOutput to : ModelOutput.values()) {
                        GaussianDiffusion.Affine f = d.convert(from, to, t);
                        double got = f.ofXt() * xt + f.ofOutput() * of[from.ordinal()];
                        assertEquals(of[to.ordinal()], got, 1e-9 * (1 + Math.abs(f.ofXt()) + Math.abs(f.ofOutput())),
                                s + " t=" + t + " " + from + "→" + to);
                    }
                }
            }
        }
    }

    /** The tensor conversion (native per-sample axpby) against float64 on the host. */
    @Test
    void tensorConversionMatchesFloat64() {
        GaussianDiffusion d = GaussianDiffusion.of(NoiseSchedule.cosine(1000));
        int[] t = {0, 250, 998, 600};
        int[] shape = {4, 5, 3, 2};
        float[] xt = TestData.random(2, 4 * 30, 2f);
        float[] o = TestData.random(3, 4 * 30, 2f);
        try (Context ctx = Context.create(Device.cpu()); Tensor x = Tensor.empty(ctx, shape).copyFrom(xt);
                Tensor out = Tensor.empty(ctx, shape).copyFrom(o); Tensor dst = Tensor.empty(ctx, shape)) {
            for (ModelOutput from : ModelOutput.values()) {
                for (ModelOutput to : ModelOutput.values()) {
                    dst.fill(Float.NaN);
                    d.convert(ctx, dst, to, x, out, from, t);
                    float[] want = new float[xt.length];
                    for (int i = 0; i < xt.length; i++) {
                        GaussianDiffusion.Affine f = d.convert(from, to, t[i / 30]);
                        want[i] = (float) (f.ofXt() * xt[i] + f.ofOutput() * o[i]);
                    }
                    double e = TestData.relativeError(dst.toArray(), want);
                    assertTrue(e < 1e-6, from + "→" + to + ": relative error " + e);
                }
            }
        }
    }

    @Test
    void trainingTargetsAreEpsX0AndV() {
        GaussianDiffusion base = GaussianDiffusion.of(NoiseSchedule.linear(1000));
        int[] t = {10, 900};
        int[] shape = {2, 3, 3, 1};
        float[] x0 = TestData.random(4, 18, 1f);
        float[] e = TestData.random(5, 18, 2f);
        try (Context ctx = Context.create(Device.cpu()); Tensor tx0 = Tensor.empty(ctx, shape).copyFrom(x0);
                Tensor te = Tensor.empty(ctx, shape).copyFrom(e); Tensor target = Tensor.empty(ctx, shape)) {
            for (ModelOutput kind : ModelOutput.values()) {
                target.fill(Float.NaN);
                Tensor got = base.withOutput(kind).trainingTarget(ctx, target, tx0, te, t);
                float[] want = new float[18];
                for (int i = 0; i < 18; i++) {
                    double ab = base.alphaBar(t[i / 9]);
                    want[i] = switch (kind) {
                        case EPSILON -> e[i];
                        case X0 -> x0[i];
                        case V -> (float) (Math.sqrt(ab) * e[i] - Math.sqrt(1 - ab) * x0[i]);
                    };
                }
                assertTrue(TestData.relativeError(got.toArray(), want) < 1e-6, kind.id());
            }
        }
    }

    /** Min-SNR-γ weights are min(SNR, γ) in x_0 space, whatever the model outputs. */
    @Test
    void minSnrWeights() {
        GaussianDiffusion d = GaussianDiffusion.of(NoiseSchedule.linear(1000)).withLoss(LossType.MIN_SNR);
        assertNull(GaussianDiffusion.of(NoiseSchedule.linear(1000)).lossWeights(new int[] {3}), "L_simple is unweighted");
        int[] t = {0, 100, 300, 999};
        for (ModelOutput kind : ModelOutput.values()) {
            float[] w = d.withOutput(kind).lossWeights(t);
            for (int i = 0; i < t.length; i++) {
                double snr = d.alphaBar(t[i]) / (1 - d.alphaBar(t[i]));
                // ‖ε̂ − ε‖² = SNR ‖x̂_0 − x_0‖²; ‖v̂ − v‖² = (SNR + 1) ‖x̂_0 − x_0‖²
                double toX0 = switch (kind) {
                    case EPSILON -> snr;
                    case X0 -> 1;
                    case V -> snr + 1;
                };
                assertEquals(Math.min(snr, 5.0), w[i] * toX0, 1e-5 * Math.min(snr, 5.0), kind + " t=" + t[i]);
            }
        }
        assertEquals(5.0, d.minSnrGamma());
        assertNull(d.withLoss(LossType.HYBRID).lossWeights(t), "L_hybrid's L_simple part is unweighted");
        assertThrows(UnsupportedOperationException.class,
                () -> d.withVariance(VarianceType.LEARNED_RANGE).reverseVariance(5));
        assertThrows(IllegalArgumentException.class, () -> d.withMinSnrGamma(0));
    }

    /** Keeping every timestep reproduces the schedule; a respaced chain keeps ᾱ exactly. */
    @Test
    void respacing() {
        NoiseSchedule s = NoiseSchedule.linear(1000);
        GaussianDiffusion d = GaussianDiffusion.of(s);
        int[] all = new int[1000];
        for (int i = 0; i < 1000; i++) {
            all[i] = i;
        }
        GaussianDiffusion same = d.respace(all);
        for (int t = 0; t < 1000; t += 37) {
            assertEquals(s.beta(t), same.schedule().beta(t), 1e-12 * s.beta(t) + 1e-15);
            assertEquals(d.posteriorVariance(t), same.posteriorVariance(t), 1e-9 * d.posteriorVariance(t) + 1e-18);
        }
        int[] kept = Spacing.LINSPACE.timesteps(1000, 50);
        GaussianDiffusion r = d.respace(kept);
        for (int i = 0; i < kept.length; i++) {
            assertEquals(s.alphaBar(kept[i]), r.alphaBar(i), 0.0, "ᾱ kept exactly");
            assertEquals(kept[i], r.modelTimestep(i));
            double betaNew = 1 - s.alphaBar(kept[i]) / (i == 0 ? 1 : s.alphaBar(kept[i - 1]));
            assertEquals(betaNew, r.schedule().beta(i), 1e-14);
            StepCoefficients c = r.ancestralStep(i);
            double abPrev = i == 0 ? 1 : s.alphaBar(kept[i - 1]);
            double ab = s.alphaBar(kept[i]);
            assertEquals(betaNew * Math.sqrt(abPrev) / (1 - ab), c.coefX0(), 1e-12);
            assertEquals((1 - abPrev) * Math.sqrt(1 - betaNew) / (1 - ab), c.coefXt(), 1e-12);
            assertEquals(i == 0 ? 0 : Math.sqrt(betaNew * (1 - abPrev) / (1 - ab)), c.sigma(), 1e-12);
        }
        // learned variance on the respaced chain interpolates between its own β and β̃ (Improved DDPM §4)
        for (NoiseSchedule sched : new NoiseSchedule[] {s, NoiseSchedule.cosine(1000)}) {
            GaussianDiffusion lr = GaussianDiffusion.of(sched).withVariance(VarianceType.LEARNED_RANGE).respace(kept);
            for (int i = 0; i < kept.length; i++) {
                double ab = sched.alphaBar(kept[i]);
                assertEquals(ab, lr.alphaBar(i), 0.0, "ᾱ kept exactly");
                double abPrev = i == 0 ? 1 : sched.alphaBar(kept[i - 1]);
                double betaNew = 1 - ab / abPrev;
                double tilde = i == 0 ? 0 : betaNew * (1 - abPrev) / (1 - ab);
                double ab0 = sched.alphaBar(kept[0]);
                double ab1 = sched.alphaBar(kept[1]);
                double tilde1 = (1 - ab1 / ab0) * (1 - ab0) / (1 - ab1); // β̃ at index 1, for the clipped index 0
                StepCoefficients c = lr.ancestralStep(i);
                assertTrue(c.learnedVariance());
                assertEquals(Math.log(betaNew), c.logVarMax(), 1e-9);
                assertEquals(Math.log(i == 0 ? tilde1 : tilde), c.logVarMin(), 1e-9);
                assertEquals(i == 0 ? 0.0 : 1.0, c.sigma(), "σ scales the learned deviation; no noise at the end");
                assertEquals(Math.log(betaNew), lr.learnedLogVariance(i, 1.0), 1e-9);
                assertEquals(0.5 * (Math.log(betaNew) + c.logVarMin()), lr.learnedLogVariance(i, 0.0), 1e-9);
            }
        }
        // respacing a respaced diffusion maps through to the original timesteps
        assertEquals(kept[10], r.respace(new int[] {2, 10}).modelTimestep(1));
        assertThrows(IllegalArgumentException.class, () -> d.respace(new int[] {5, 5}));
        assertThrows(IllegalArgumentException.class, () -> d.respace(new int[] {1000}));
    }

    /** DDIM's coefficients from the paper's eq. 12 at the visited timesteps of the original schedule. */
    @Test
    void ddimStepIsEquation12() {
        NoiseSchedule s = NoiseSchedule.cosine(1000);
        DdimSampler ddim = new DdimSampler(GaussianDiffusion.of(s), 20, 0.7, Spacing.TRAILING, 0, false);
        int[] ts = ddim.timesteps();
        for (int k = 0; k < ts.length; k++) {
            StepCoefficients c = ddim.coefficients(k);
            double ab = s.alphaBar(ts[k]);
            double abPrev = k + 1 < ts.length ? s.alphaBar(ts[k + 1]) : 1.0;
            double sigma = 0.7 * Math.sqrt((1 - abPrev) / (1 - ab) * (1 - ab / abPrev));
            assertEquals(ts[k], c.timestep());
            assertEquals(Math.sqrt(abPrev), c.coefX0(), 1e-12);
            assertEquals(0.0, c.coefXt());
            assertEquals(sigma, c.sigma(), 1e-12);
            assertEquals(Math.sqrt(Math.max(0, 1 - abPrev - sigma * sigma)), c.coefEps(), 1e-12);
            assertEquals(1 / Math.sqrt(ab), c.x0FromXt(), 1e-9);
            assertEquals(1.0, c.epsFromOut());
        }
    }

    @Test
    void metadataRoundTripsEveryKind() {
        NoiseSchedule custom = NoiseSchedule.ofBetas(new double[] {0.1, 0.2, 1.0 / 3, 0.5});
        for (NoiseSchedule s : new NoiseSchedule[] {NoiseSchedule.linear(1000), NoiseSchedule.linear(50, 1e-3, 0.05),
            NoiseSchedule.cosine(400), custom}) {
            GaussianDiffusion d = GaussianDiffusion.of(s).withOutput(ModelOutput.V).withLoss(LossType.MIN_SNR)
                    .withMinSnrGamma(2.5).withVariance(VarianceType.FIXED_BETA);
            GaussianDiffusion back = GaussianDiffusion.fromMetadata(d.toMetadata());
            assertEquals(d, back, s.toString());
            assertArrayEquals(s.betas(), back.schedule().betas(), 0.0);
        }
    }

    @Test
    void badMetadataNamesTheKey() {
        Map<String, String> m = new HashMap<>(GaussianDiffusion.of(NoiseSchedule.cosine(100)).toMetadata());
        m.put("diffusion.timesteps", "2000000000");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GaussianDiffusion.fromMetadata(m));
        assertTrue(e.getMessage().contains("diffusion.timesteps is 2000000000"), e.getMessage());
        m.put("diffusion.timesteps", "100");
        m.put("diffusion.output", "score");
        e = assertThrows(IllegalArgumentException.class, () -> GaussianDiffusion.fromMetadata(m));
        assertTrue(e.getMessage().contains("\"score\""), e.getMessage());
        m.remove("diffusion.output");
        e = assertThrows(IllegalArgumentException.class, () -> GaussianDiffusion.fromMetadata(m));
        assertTrue(e.getMessage().contains("diffusion.output"), e.getMessage());
        Map<String, String> c = new HashMap<>(GaussianDiffusion.of(NoiseSchedule.ofBetas(new double[] {0.1, 0.2}))
                .toMetadata());
        c.put("diffusion.betas", "0.1,x");
        e = assertThrows(IllegalArgumentException.class, () -> GaussianDiffusion.fromMetadata(c));
        assertTrue(e.getMessage().contains("betas[1]"), e.getMessage());
    }
}
