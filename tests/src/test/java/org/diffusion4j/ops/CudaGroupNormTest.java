package org.diffusion4j.ops;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.testing.TestData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** CUDA GroupNorm (+SiLU) against the CPU backend; skipped, with the reason printed, without a GPU. */
class CudaGroupNormTest {
    @BeforeEach
    void needsAGpu() {
        String reason = "no CUDA device visible: CUDA GroupNorm tests skipped";
        if (Device.cudaDeviceCount() == 0) {
            System.out.println("CudaGroupNormTest: " + reason);
        }
        Assumptions.assumeTrue(Device.cudaDeviceCount() > 0, reason);
    }

    private static float[][] run(Device d, int n, int hw, int c, int groups, boolean silu) {
        try (Context ctx = Context.create(d);
                Tensor x = Tensor.of(ctx, TestData.random(1, n * hw * c, 2f), n, hw, c);
                Tensor g = Tensor.of(ctx, TestData.random(2, c, 1f), c);
                Tensor b = Tensor.of(ctx, TestData.random(3, c, 1f), c);
                Tensor dy = Tensor.of(ctx, TestData.random(4, n * hw * c, 1f), n, hw, c);
                Tensor y = Tensor.empty(ctx, n, hw, c).fill(Float.NaN);
                Tensor dx = Tensor.empty(ctx, n, hw, c).fill(Float.NaN);
                Tensor mean = Tensor.empty(ctx, n, groups);
                Tensor rstd = Tensor.empty(ctx, n, groups);
                Tensor dg = Tensor.zeros(ctx, c);
                Tensor db = Tensor.zeros(ctx, c)) {
            GroupNorm.forward(ctx, y, mean, rstd, x, g, b, groups, 1e-5f, silu);
            GroupNorm.backward(ctx, dx, dg, db, dy, x, mean, rstd, g, b, groups, silu);
            return new float[][] {y.toArray(), dx.toArray(), dg.toArray(), db.toArray()};
        }
    }

    @ParameterizedTest
    @CsvSource({"1, 49, 12, 3, true", "2, 196, 40, 8, false", "64, 1024, 64, 32, true"})
    void cudaMatchesCpu(int n, int hw, int c, int groups, boolean silu) {
        float[][] cpu = run(Device.cpu(), n, hw, c, groups, silu);
        float[][] gpu = run(Device.cuda(0), n, hw, c, groups, silu);
        for (int i = 0; i < 4; i++) {
            double e = TestData.relativeError(gpu[i], cpu[i]);
            assertTrue(e < 2e-5, "output " + i + " CUDA vs CPU relative error " + e);
        }
    }
}
