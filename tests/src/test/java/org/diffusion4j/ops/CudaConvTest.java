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

/** CUDA convolution against the CPU backend; skipped, with the reason printed, without a GPU. */
class CudaConvTest {
    @BeforeEach
    void needsAGpu() {
        String reason = "no CUDA device visible: CUDA convolution tests skipped";
        if (Device.cudaDeviceCount() == 0) {
            System.out.println("CudaConvTest: " + reason);
        }
        Assumptions.assumeTrue(Device.cudaDeviceCount() > 0, reason);
    }

    private static float[][] run(Device device, int n, int h, int w, int cin, int cout, int k, int s, int p) {
        int ho = Conv2d.outputSize(h, k, s, p);
        int wo = Conv2d.outputSize(w, k, s, p);
        try (Context ctx = Context.create(device);
                Tensor x = Tensor.of(ctx, TestData.random(1, n * h * w * cin, 1f), n, h, w, cin);
                Tensor wt = Tensor.of(ctx, TestData.random(2, k * k * cin * cout, 0.3f), k, k, cin, cout);
                Tensor b = Tensor.of(ctx, TestData.random(3, cout, 1f), cout);
                Tensor dy = Tensor.of(ctx, TestData.random(4, n * ho * wo * cout, 1f), n, ho, wo, cout);
                Tensor y = Tensor.empty(ctx, n, ho, wo, cout).fill(Float.NaN);
                Tensor dx = Tensor.empty(ctx, n, h, w, cin).fill(Float.NaN);
                Tensor dw = Tensor.of(ctx, TestData.random(5, k * k * cin * cout, 0.1f), k, k, cin, cout);
                Tensor db = Tensor.of(ctx, TestData.random(6, cout, 0.1f), cout);
                Tensor r = Tensor.of(ctx, TestData.random(7, n * ho * wo * cout, 1f), n, ho, wo, cout);
                Tensor yr = Tensor.empty(ctx, n, ho, wo, cout).fill(Float.NaN)) {
            Conv2d.forward(ctx, y, x, wt, b, s, p);
            Conv2d.backwardData(ctx, dx, dy, wt, s, p);
            Conv2d.backwardWeights(ctx, dw, db, dy, x, s, p);
            Conv2d.forwardResidual(ctx, yr, x, r, wt, b, s, p);
            return new float[][] {y.toArray(), dx.toArray(), dw.toArray(), db.toArray(), yr.toArray()};
        }
    }

    @ParameterizedTest
    @CsvSource({"2, 14, 14, 13, 19, 3, 1, 1", "3, 9, 11, 16, 33, 3, 2, 1", "2, 7, 7, 24, 7, 1, 1, 0",
        "8, 32, 32, 64, 64, 3, 1, 1"})
    void cudaMatchesCpu(int n, int h, int w, int cin, int cout, int k, int s, int p) {
        float[][] cpu = run(Device.cpu(), n, h, w, cin, cout, k, s, p);
        float[][] gpu = run(Device.cuda(0), n, h, w, cin, cout, k, s, p);
        String[] names = {"y", "dx", "dw", "db", "y + residual"};
        for (int i = 0; i < names.length; i++) {
            double e = TestData.relativeError(gpu[i], cpu[i]);
            assertTrue(e < 1e-5, names[i] + " CUDA vs CPU relative error " + e);
        }
    }
}
