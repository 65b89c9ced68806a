package org.diffusion4j.ops;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.Context;
import org.diffusion4j.D4jException;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.testing.TestData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * CUDA attention (out, lse, dqkv) against the CPU backend, head sizes 2 to 128 (the CUDA kernels'
 * limit) and L from 5 to 256; skipped, with the reason printed, without a GPU.
 */
class CudaAttentionTest {
    @BeforeEach
    void needsAGpu() {
        String reason = "no CUDA device visible: CUDA attention tests skipped";
        if (Device.cudaDeviceCount() == 0) {
            System.out.println("CudaAttentionTest: " + reason);
        }
        Assumptions.assumeTrue(Device.cudaDeviceCount() > 0, reason);
    }

    private static float[][] run(Device dev, int n, int l, int c, int heads) {
        try (Context ctx = Context.create(dev);
                Tensor qkv = Tensor.of(ctx, TestData.random(1, n * l * 3 * c, 1.5f), n, l, 3 * c);
                Tensor dout = Tensor.of(ctx, TestData.random(2, n * l * c, 1f), n, l, c);
                Tensor out = Tensor.empty(ctx, n, l, c).fill(Float.NaN);
                Tensor lse = Tensor.empty(ctx, n, heads, l).fill(Float.NaN);
                Tensor dqkv = Tensor.empty(ctx, n, l, 3 * c).fill(Float.NaN)) {
            Attention.forward(ctx, out, lse, qkv, heads);
            Attention.backward(ctx, dqkv, dout, qkv, out, lse, heads);
            return new float[][] {out.toArray(), lse.toArray(), dqkv.toArray()};
        }
    }

    @ParameterizedTest
    @CsvSource({"1, 49, 12, 3", "2, 196, 40, 4", "64, 256, 128, 4", "64, 64, 128, 4", "3, 5, 8, 1", "1, 130, 256, 2"})
    void cudaMatchesCpu(int n, int l, int c, int heads) {
        float[][] cpu = run(Device.cpu(), n, l, c, heads);
        float[][] gpu = run(Device.cuda(0), n, l, c, heads);
        for (int i = 0; i < 3; i++) {
            double e = TestData.relativeError(gpu[i], cpu[i]);
            assertTrue(e < 2e-5, "output " + i + " CUDA vs CPU relative error " + e);
        }
    }

    @Test
    void headsOver128ChannelsAreRefusedByName() {
        try (Context ctx = Context.create(Device.cuda(0));
                Tensor qkv = Tensor.zeros(ctx, 1, 4, 3 * 256);
                Tensor out = Tensor.empty(ctx, 1, 4, 256);
                Tensor lse = Tensor.empty(ctx, 1, 1, 4)) {
            D4jException e = assertThrows(D4jException.class, () -> Attention.forward(ctx, out, lse, qkv, 1));
            assertTrue(e.getMessage().contains("head size C/heads is 256"), e.getMessage());
        }
    }
}
