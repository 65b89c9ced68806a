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
 * CUDA against the CPU backend for softmax cross-entropy (the gradient bit for bit: every row is
 * one shared function; the loss to the float64 summation order, and the same bits twice on
 * CUDA; batches of more than one launch's 256 labels) and global average pooling (bit for bit);
 * skipped, with the reason printed, without a GPU.
 */
class CudaClassifierOpsTest {
    @BeforeEach
    void needsAGpu() {
        String reason = "no CUDA device visible: CUDA classifier op tests skipped";
        if (Device.cudaDeviceCount() == 0) {
            System.out.println("CudaClassifierOpsTest: " + reason);
        }
        Assumptions.assumeTrue(Device.cudaDeviceCount() > 0, reason);
    }

    /** loss, loss again (no gradient), gradient, pooled, pooling gradient */
    private static float[][] run(Device d, int n, int k, float scale, int h, int c) {
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = (i * 31 + 5) % k;
        }
        try (Context ctx = Context.create(d);
                Tensor logits = Tensor.of(ctx, TestData.random(1, n * k, scale), n, k);
                Tensor loss = Tensor.empty(ctx, 1).fill(Float.NaN);
                Tensor loss2 = Tensor.empty(ctx, 1).fill(Float.NaN);
                Tensor grad = Tensor.empty(ctx, n, k).fill(Float.NaN);
                Tensor map = Tensor.of(ctx, TestData.random(2, n * h * h * c, 2f), n, h, h, c);
                Tensor pooled = Tensor.empty(ctx, n, c).fill(Float.NaN);
                Tensor dPooled = Tensor.of(ctx, TestData.random(3, n * c, 1f), n, c);
                Tensor dMap = Tensor.empty(ctx, n, h, h, c).fill(Float.NaN)) {
            SoftmaxCrossEntropy.forward(ctx, loss, grad, logits, y);
            SoftmaxCrossEntropy.forward(ctx, loss2, null, logits, y);
            GlobalAvgPool.forward(ctx, pooled, map);
            GlobalAvgPool.backward(ctx, dMap, dPooled);
            return new float[][] {loss.toArray(), loss2.toArray(), grad.toArray(), pooled.toArray(), dMap.toArray()};
        }
    }

    @ParameterizedTest(name = "{0}x{1} ±{2}, pool {3}x{3}x{4}")
    @CsvSource({"7, 10, 1, 7, 128", "600, 10, 80, 7, 64", "300, 1000, 8, 1, 3", "256, 1, 2, 14, 32"})
    void cudaMatchesCpu(int n, int k, float scale, int h, int c) {
        float[][] cpu = run(Device.cpu(), n, k, scale, h, c);
        float[][] gpu = run(Device.cuda(0), n, k, scale, h, c);
        double el = Math.abs(cpu[0][0] - gpu[0][0]) / Math.max(1e-30, Math.abs(cpu[0][0]));
        System.out.printf("CUDA cross-entropy %dx%d: loss CPU %.9g CUDA %.9g (rel %.2e)%n", n, k, cpu[0][0], gpu[0][0], el);
        assertTrue(el < 1e-6, "loss CPU " + cpu[0][0] + " vs CUDA " + gpu[0][0]);
        assertEquals(gpu[0][0], gpu[1][0], 0f, "the CUDA loss with and without a gradient");
        assertArrayEquals(cpu[2], gpu[2], "the cross-entropy gradient, CPU vs CUDA");
        assertArrayEquals(cpu[3], gpu[3], "the pooled map, CPU vs CUDA");
        assertArrayEquals(cpu[4], gpu[4], "the pooling gradient, CPU vs CUDA");
    }
}
