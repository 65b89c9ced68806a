package org.diffusion4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.testing.TestData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * CUDA against the CPU backend for the latent's KL term (loss to 1e-6: the float64 sums run in
 * another order; gradient bit for bit) and the reparameterised sample (ε bit for bit: the same
 * Philox counters; z and the backward bit for bit: the same element formulas of
 * core/latent_gaussian.h); skipped, with the reason printed, without a GPU.
 */
class CudaLatentGaussianTest {
    @BeforeEach
    void needsAGpu() {
        String reason = "no CUDA device visible: CUDA latent Gaussian tests skipped";
        if (Device.cudaDeviceCount() == 0) {
            System.out.println("CudaLatentGaussianTest: " + reason);
        }
        Assumptions.assumeTrue(Device.cudaDeviceCount() > 0, reason);
    }

    /** loss, dmoments, z, eps, dmoments after the sample's backward */
    private static float[][] run(Device d, int[] shape) {
        int[] zs = {shape[0], shape[1], shape[2], shape[3] / 2};
        float[] m = TestData.random(7, TestData.numel(shape), 2f);
        m[1] = -45f; // one clamped log-variance when C = 1 (channel 1 is ℓ)
        try (Context ctx = Context.create(d, 3); Tensor tm = Tensor.of(ctx, m, shape);
                Tensor loss = Tensor.empty(ctx, 1).fill(Float.NaN); Tensor dm = Tensor.empty(ctx, shape).fill(Float.NaN);
                Tensor z = Tensor.empty(ctx, zs).fill(Float.NaN); Tensor eps = Tensor.empty(ctx, zs).fill(Float.NaN);
                Tensor dz = Tensor.of(ctx, TestData.random(8, TestData.numel(zs), 1f), zs)) {
            GaussianKl.forward(ctx, loss, dm, tm, 0.5f);
            float[] kl = dm.toArray();
            LatentSample.forward(ctx, z, eps, tm);
            LatentSample.backward(ctx, dm, dz, eps, tm);
            return new float[][] {loss.toArray(), kl, z.toArray(), eps.toArray(), dm.toArray()};
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"2x7x7x8", "3x5x5x2", "256x7x7x8"})
    void cudaMatchesTheCpu(String dims) {
        int[] shape = TestData.shape(dims);
        float[][] cpu = run(Device.cpu(), shape);
        float[][] gpu = run(Device.cuda(0), shape);
        double el = Math.abs(gpu[0][0] - cpu[0][0]) / Math.abs(cpu[0][0]);
        assertTrue(el < 1e-6, "KL loss relative difference " + el);
        String[] names = {"loss", "KL gradient", "z", "eps", "sample backward"};
        for (int k = 1; k < cpu.length; k++) {
            assertArrayEquals(cpu[k], gpu[k], names[k] + " " + dims);
        }
    }
}
