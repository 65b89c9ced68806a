package org.diffusion4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.testing.TestData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * CUDA against the CPU backend for SiLU, add, upsampling, concatenation, the timestep
 * embedding, dropout (masks bit for bit) and MSE; skipped, with the reason printed, without a GPU.
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

    private static float[][] run(Device d) {
        int n = 3, h = 14, w = 14, c = 13;
        int size = n * h * w * c;
        int[] t = new int[300];
        for (int i = 0; i < t.length; i++) {
            t[i] = i * 3;
        }
        try (Context ctx = Context.create(d, 5);
                Tensor x = Tensor.of(ctx, TestData.random(1, size, 4f), n, h, w, c);
                Tensor dy = Tensor.of(ctx, TestData.random(2, size, 1f), n, h, w, c);
                Tensor silu = Tensor.empty(ctx, n, h, w, c);
                Tensor dsilu = Tensor.empty(ctx, n, h, w, c);
                Tensor sum = Tensor.empty(ctx, n, h, w, c);
                Tensor bias = Tensor.of(ctx, TestData.random(3, n * c, 1f), n, c);
                Tensor shifted = Tensor.empty(ctx, n, h, w, c);
                Tensor pixelSums = Tensor.empty(ctx, n, c);
                Tensor up = Tensor.empty(ctx, n, 2 * h, 2 * w, c);
                Tensor down = Tensor.empty(ctx, n, h, w, c);
                Tensor cat = Tensor.empty(ctx, n, h, w, 2 * c);
                Tensor emb = Tensor.empty(ctx, 300, 64);
                Tensor drop = Tensor.empty(ctx, n, h, w, c);
                Tensor loss = Tensor.empty(ctx, 1);
                Tensor grad = Tensor.empty(ctx, n, h, w, c)) {
            Silu.forward(ctx, silu, x);
            Silu.backward(ctx, dsilu, dy, x);
            Add.forward(ctx, sum, x, dy);
            Add.perSample(ctx, shifted, x, bias);
            Add.perSampleBackward(ctx, pixelSums, dy);
            Upsample.forward(ctx, up, x);
            Upsample.backward(ctx, down, up);
            Concat.forward(ctx, cat, x, dy);
            TimestepEmbedding.forward(ctx, emb, t, 10000f);
            Dropout.forward(ctx, drop, x, 0.25f);
            MseLoss.forward(ctx, loss, grad, x, dy);
            return new float[][] {silu.toArray(), dsilu.toArray(), sum.toArray(), up.toArray(), down.toArray(),
                cat.toArray(), emb.toArray(), drop.toArray(), loss.toArray(), grad.toArray(), shifted.toArray(),
                pixelSums.toArray()};
        }
    }

    @Test
    void cudaMatchesCpu() {
        float[][] cpu = run(Device.cpu());
        float[][] gpu = run(Device.cuda(0));
        String[] names = {"silu", "silu backward", "add", "upsample", "upsample backward", "concat", "embedding",
            "dropout", "mse", "mse gradient", "per-sample add", "per-sample sum"};
        for (int i = 0; i < names.length; i++) {
            double e = TestData.relativeError(gpu[i], cpu[i]);
            assertTrue(e < 1e-6, names[i] + " CUDA vs CPU relative error " + e);
        }
        assertArrayEquals(cpu[7], gpu[7], "dropout masks must match bit for bit");
    }
}
