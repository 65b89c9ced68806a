package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.junit.jupiter.api.Test;

/**
 * A DDPM is a score model (Song et al. 2021): s(x_t, t) = −ε̂/√(1 − ᾱ_t). For Gaussian data
 * x_0 ~ N(μ, s²) the marginal is q_t = N(√ᾱ μ, ᾱ s² + 1 − ᾱ), whose score −(x − √ᾱ μ)/(ᾱ s² + 1 − ᾱ)
 * is written here from that density alone; the exact ε, x_0 and v models converted by
 * {@link GaussianDiffusion#score} must give it.
 */
class DdpmScoreTest {
    static final NoiseSchedule LINEAR = NoiseSchedule.linear(1000);

    @Test
    void theConvertedScoreOfEachExactModelIsTheMarginalsScore() {
        int[] ts = {0, 1, 10, 250, 500, 999};
        int per = 7;
        float[] xs = new float[ts.length * per];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = (float) (-3 + 6.0 * i / (xs.length - 1));
        }
        try (Context ctx = Context.create(Device.cpu()); Tensor x = Tensor.of(ctx, xs, ts.length, per, 1, 1);
                Tensor out = Tensor.empty(ctx, ts.length, per, 1, 1); Tensor s = Tensor.empty(ctx, ts.length, per, 1, 1)) {
            for (ModelOutput kind : ModelOutput.values()) {
                GaussianData.model(LINEAR, kind).predict(ctx, out, x, ts.clone(), null);
                GaussianDiffusion.of(LINEAR).withOutput(kind).score(ctx, s, x, out, ts);
                float[] got = s.toArray();
                for (int i = 0; i < xs.length; i++) {
                    double ab = LINEAR.alphaBar(ts[i / per]);
                    double v = ab * GaussianData.S2 + 1 - ab;
                    double exact = -(xs[i] - Math.sqrt(ab) * GaussianData.MU) / v;
                    // float32 outputs and conversion: relative error a few ulps, amplified by
                    // 1/√(1 − ᾱ) (≈ 100 at t = 0) when a non-ε output is converted
                    assertEquals(exact, got[i], 2e-4 * Math.max(1, Math.abs(exact)), kind + " t=" + ts[i / per] + " x=" + xs[i]);
                }
            }
        }
    }

    @Test
    void aWrongConversionIsRejectedByTheSameReference() {
        // the score of the ε model read as if it were an x_0 model is not the marginal's
        try (Context ctx = Context.create(Device.cpu()); Tensor x = Tensor.of(ctx, new float[] {0.7f}, 1, 1, 1, 1);
                Tensor out = Tensor.empty(ctx, 1, 1, 1, 1); Tensor s = Tensor.empty(ctx, 1, 1, 1, 1)) {
            int[] t = {500};
            GaussianData.model(LINEAR, ModelOutput.EPSILON).predict(ctx, out, x, t.clone(), null);
            GaussianDiffusion.of(LINEAR).withOutput(ModelOutput.X0).score(ctx, s, x, out, t);
            double ab = LINEAR.alphaBar(500);
            double exact = -(0.7 - Math.sqrt(ab) * GaussianData.MU) / (ab * GaussianData.S2 + 1 - ab);
            // far outside the first test's tolerance (2e-4 relative)
            assertTrue(Math.abs(s.toArray()[0] - exact) > 100 * 2e-4 * Math.abs(exact), "wrong parameterisation: "
                    + s.toArray()[0] + " vs " + exact);
        }
    }
}
