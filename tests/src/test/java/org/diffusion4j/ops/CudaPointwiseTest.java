package org.diffusion4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.testing.TestData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * CUDA against the CPU backend for SiLU, add, the per-sample add and its sum, upsampling and
 * concatenation (both ways), the timestep embedding, dropout (masks bit for bit, forward and the
 * replayed backward), MSE and the weighted MSE (whose float64 sums must also give the same bits
 * twice), keyed noise, axpby and the variance shift, learned and fixed (bit for bit); skipped,
 * with the reason printed, without a GPU. 1e-6 relative: the only differences allowed are the
 * order of a few float32 additions (upsampling gradient, per-sample sums) and libm's cos/sin
 * versus CUDA's in float64 rounded once.
 */
class CudaPointwiseTest {
    @BeforeEach
    void needsAGpu() {
        String reason = "no CUDA device visible: CUDA pointwise tests skipped";
        if (Device.cudaDeviceCount() == 0) {
            System.out.println("CudaPointwiseTest: " + reason);
        }
        Assumptions.assumeTrue(Device.cudaDeviceCount() > 0, reason);
    }

    private static final String[] NAMES = {"silu", "silu backward", "add", "upsample", "upsample backward", "concat",
        "concat backward a", "concat backward b", "embedding", "dropout", "dropout backward", "mse", "mse gradient",
        "per-sample add", "per-sample sum", "mse again", "keyed noise", "axpby", "axpby y=null", "weighted mse",
        "weighted mse gradient", "weighted mse again", "variance shift learned", "variance shift fixed"};

    private static float[][] run(Device d, int n, int h, int w, int c) {
        int size = n * h * w * c;
        int[] t = new int[300]; // more than one launch's worth of timesteps (256)
        for (int i = 0; i < t.length; i++) {
            t[i] = i * 3 + (i == 299 ? 100000 : 0);
        }
        try (Context ctx = Context.create(d, 5);
                Tensor x = Tensor.of(ctx, TestData.random(1, size, 4f), n, h, w, c);
                Tensor dy = Tensor.of(ctx, TestData.random(2, size, 1f), n, h, w, c);
                Tensor silu = Tensor.empty(ctx, n, h, w, c).fill(Float.NaN);
                Tensor dsilu = Tensor.empty(ctx, n, h, w, c).fill(Float.NaN);
                Tensor sum = Tensor.empty(ctx, n, h, w, c).fill(Float.NaN);
                Tensor bias = Tensor.of(ctx, TestData.random(3, n * c, 1f), n, c);
                Tensor shifted = Tensor.empty(ctx, n, h, w, c).fill(Float.NaN);
                Tensor pixelSums = Tensor.empty(ctx, n, c).fill(Float.NaN);
                Tensor up = Tensor.empty(ctx, n, 2 * h, 2 * w, c).fill(Float.NaN);
                Tensor down = Tensor.empty(ctx, n, h, w, c).fill(Float.NaN);
                Tensor cat = Tensor.empty(ctx, n, h, w, 2 * c).fill(Float.NaN);
                Tensor dcat = Tensor.of(ctx, TestData.random(4, 2 * size, 1f), n, h, w, 2 * c);
                Tensor da = Tensor.empty(ctx, n, h, w, c).fill(Float.NaN);
                Tensor db = Tensor.empty(ctx, n, h, w, c).fill(Float.NaN);
                Tensor emb = Tensor.empty(ctx, 300, 64).fill(Float.NaN);
                Tensor drop = Tensor.empty(ctx, n, h, w, c).fill(Float.NaN);
                Tensor ddrop = Tensor.empty(ctx, n, h, w, c).fill(Float.NaN);
                Tensor loss = Tensor.empty(ctx, 1).fill(Float.NaN);
                Tensor loss2 = Tensor.empty(ctx, 1).fill(Float.NaN);
                Tensor grad = Tensor.empty(ctx, n, h, w, c).fill(Float.NaN);
                Tensor keyed = Tensor.empty(ctx, n, h, w, c).fill(Float.NaN);
                Tensor axpby = Tensor.empty(ctx, n, h, w, c).fill(Float.NaN);
                Tensor ax = Tensor.empty(ctx, n, h, w, c).fill(Float.NaN);
                Tensor wLoss = Tensor.empty(ctx, 1).fill(Float.NaN);
                Tensor wLoss2 = Tensor.empty(ctx, 1).fill(Float.NaN);
                Tensor wGrad = Tensor.empty(ctx, n, h, w, c).fill(Float.NaN);
                Tensor varOut = Tensor.of(ctx, TestData.random(9, size, 1.5f), n, h, w, c);
                Tensor shiftLearned = Tensor.of(ctx, TestData.random(1, size, 4f), n, h, w, c);
                Tensor shiftFixed = Tensor.of(ctx, TestData.random(1, size, 4f), n, h, w, c)) {
            Silu.forward(ctx, silu, x);
            Silu.backward(ctx, dsilu, dy, x);
            Add.forward(ctx, sum, x, dy);
            Add.perSample(ctx, shifted, x, bias);
            Add.perSampleBackward(ctx, pixelSums, dy);
            Upsample.forward(ctx, up, x);
            Upsample.backward(ctx, down, up);
            Concat.forward(ctx, cat, x, dy);
            Concat.backward(ctx, da, db, dcat);
            TimestepEmbedding.forward(ctx, emb, t, 10000f);
            ctx.setRng(5, 3);
            Dropout.Mask mask = Dropout.forward(ctx, drop, x, 0.25f);
            assertEquals(new Dropout.Mask(5, 3), mask);
            Dropout.backward(ctx, ddrop, dy, 0.25f, mask);
            MseLoss.forward(ctx, loss, grad, x, dy);
            MseLoss.forward(ctx, loss2, null, x, dy);
            long[] ids = new long[n];
            float[] a = TestData.random(7, n, 2f);
            float[] b = TestData.random(8, n, 2f);
            float[] weights = new float[n];
            for (int s = 0; s < n; s++) {
                ids[s] = s * 31L - 5;
                weights[s] = Math.abs(b[s]);
            }
            KeyedNoise.apply(ctx, keyed, x, 0.5f, 2f, 0x5eedL, 3, ids);
            Axpby.apply(ctx, axpby, x, dy, a, b);
            Axpby.apply(ctx, ax, x, null, a, null);
            MseLoss.forward(ctx, wLoss, wGrad, x, dy, weights);
            MseLoss.forward(ctx, wLoss2, null, x, dy, weights);
            VarianceShift.apply(ctx, shiftLearned, dy, varOut, 2.5f, -0.82667857f, -1.40204272f);
            VarianceShift.apply(ctx, shiftFixed, dy, null, -3f, 5f, -1.40204272f);
            return new float[][] {silu.toArray(), dsilu.toArray(), sum.toArray(), up.toArray(), down.toArray(),
                cat.toArray(), da.toArray(), db.toArray(), emb.toArray(), drop.toArray(), ddrop.toArray(),
                loss.toArray(), grad.toArray(), shifted.toArray(), pixelSums.toArray(), loss2.toArray(), keyed.toArray(),
                axpby.toArray(), ax.toArray(), wLoss.toArray(), wGrad.toArray(), wLoss2.toArray(), shiftLearned.toArray(),
                shiftFixed.toArray()};
        }
    }

    /**
     * n, h, w, c: an element count not divisible by 4 (dropout's last Philox block), odd channels, past 1024 × 256
     * (MSE's loop), and more samples than one launch's 256 ids, coefficients or weights.
     */
    @ParameterizedTest(name = "{0}x{1}x{2}x{3}")
    @CsvSource({"1, 7, 7, 3", "3, 14, 14, 13", "5, 32, 32, 64", "300, 5, 5, 1"})
    void cudaMatchesCpu(int n, int h, int w, int c) {
        float[][] cpu = run(Device.cpu(), n, h, w, c);
        float[][] gpu = run(Device.cuda(0), n, h, w, c);
        for (int i = 0; i < NAMES.length; i++) {
            double e = TestData.relativeError(gpu[i], cpu[i]);
            System.out.printf("cuda %s %dx%dx%dx%d: %.2e%n", NAMES[i], n, h, w, c, e);
            assertTrue(e < 1e-6, NAMES[i] + " CUDA vs CPU relative error " + e);
        }
        assertArrayEquals(cpu[9], gpu[9], "dropout masks must match bit for bit");
        assertArrayEquals(cpu[10], gpu[10], "the backward must replay the same mask");
        assertArrayEquals(gpu[11], gpu[15], "the CUDA loss must be the same bits on every run");
        assertArrayEquals(cpu[16], gpu[16], "keyed noise must match bit for bit");
        assertArrayEquals(cpu[17], gpu[17], "axpby is the same fma on both");
        assertArrayEquals(cpu[18], gpu[18], "axpby without y is the same product on both");
        assertArrayEquals(gpu[19], gpu[21], "the CUDA weighted loss must be the same bits on every run");
        assertArrayEquals(cpu[22], gpu[22], "the learned variance shift is the same exp and fma on both");
        assertArrayEquals(cpu[23], gpu[23], "the fixed variance shift is the same exp and fma on both");
    }
}
