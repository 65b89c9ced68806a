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

/**
 * CUDA GroupNorm (+SiLU) against the CPU backend, forward, backward and the saved statistics;
 * skipped, with the reason printed, without a GPU. 2e-5 relative, as against libtorch: the two
 * backends reduce in different orders (CUDA in float32 trees, the CPU per chunk then float64).
 */
class CudaGroupNormTest {
    @BeforeEach
    void needsAGpu() {
        String reason = "no CUDA device visible: CUDA GroupNorm tests skipped";
        if (Device.cudaDeviceCount() == 0) {
            System.out.println("CudaGroupNormTest: " + reason);
        }
        Assumptions.assumeTrue(Device.cudaDeviceCount() > 0, reason);
    }

    private static final String[] NAMES = {"y", "dx", "dgamma", "dbeta", "mean", "rstd", "dx + residual"};

    /** y, dx, dgamma, dbeta (accumulated onto non-zero values), mean, rstd. */
    private static float[][] run(Device d, int[] shape, int groups, boolean silu) {
        int n = shape[0];
        int c = shape[shape.length - 1];
        int size = 1;
        for (int s : shape) {
            size *= s;
        }
        float[] x = TestData.random(1, size, 2f);
        for (int i = 0; i < size; i++) {
            x[i] += 3f; // an offset that a naive one-pass variance would lose digits to
        }
        try (Context ctx = Context.create(d);
                Tensor tx = Tensor.of(ctx, x, shape);
                Tensor g = Tensor.of(ctx, TestData.random(2, c, 1f), c);
                Tensor b = Tensor.of(ctx, TestData.random(3, c, 1f), c);
                Tensor dy = Tensor.of(ctx, TestData.random(4, size, 1f), shape);
                Tensor y = Tensor.empty(ctx, shape).fill(Float.NaN);
                Tensor dx = Tensor.empty(ctx, shape).fill(Float.NaN);
                Tensor mean = Tensor.empty(ctx, n, groups).fill(Float.NaN);
                Tensor rstd = Tensor.empty(ctx, n, groups).fill(Float.NaN);
                Tensor dg = Tensor.of(ctx, TestData.random(5, c, 0.1f), c);
                Tensor db = Tensor.of(ctx, TestData.random(6, c, 0.1f), c);
                Tensor r = Tensor.of(ctx, TestData.random(7, size, 1f), shape);
                Tensor dxr = Tensor.empty(ctx, shape).fill(Float.NaN);
                Tensor dg2 = Tensor.zeros(ctx, c);
                Tensor db2 = Tensor.zeros(ctx, c)) {
            GroupNorm.forward(ctx, y, mean, rstd, tx, g, b, groups, 1e-5f, silu);
            GroupNorm.backward(ctx, dx, dg, db, dy, tx, mean, rstd, g, b, groups, silu);
            GroupNorm.backwardResidual(ctx, dxr, dg2, db2, dy, tx, r, mean, rstd, g, b, groups, silu);
            return new float[][] {y.toArray(), dx.toArray(), dg.toArray(), db.toArray(), mean.toArray(), rstd.toArray(),
                dxr.toArray()};
        }
    }

    /** shape (N, H, W, C) or (N, L, C) with dims separated by 'x', groups, silu. */
    @ParameterizedTest(name = "{0} g{1} silu={2}")
    @CsvSource({"1x7x7x12, 3, true", "1x7x7x12, 3, false", "2x14x14x40, 8, false", "3x5x9x6, 1, true",
        "2x196x24, 6, true", "64x32x32x64, 32, true", "64x32x32x64, 32, false", "2x16x16x512, 32, true"})
    void cudaMatchesCpu(String dims, int groups, boolean silu) {
        int[] shape = java.util.Arrays.stream(dims.split("x")).mapToInt(Integer::parseInt).toArray();
        float[][] cpu = run(Device.cpu(), shape, groups, silu);
        float[][] gpu = run(Device.cuda(0), shape, groups, silu);
        for (int i = 0; i < NAMES.length; i++) {
            double e = TestData.relativeError(gpu[i], cpu[i]);
            System.out.printf("cuda groupnorm %s g%d silu=%b %s: %.2e%n", dims, groups, silu, NAMES[i], e);
            assertTrue(e < 2e-5, NAMES[i] + " CUDA vs CPU relative error " + e);
        }
    }
}
