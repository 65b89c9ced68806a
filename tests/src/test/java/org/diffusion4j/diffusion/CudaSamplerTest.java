package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.ops.SamplerStep;
import org.diffusion4j.ops.SamplerStepTest;
import org.diffusion4j.testing.TestData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The same (seed, sample id) gives the same samples on CPU and CUDA: bit-identical x_T, and DDPM
 * and DDIM (η = 0 and 1) with the exact Gaussian model within float rounding, the fused step
 * (learned variance too) within float rounding; skipped, with the reason printed, without a GPU.
 */
class CudaSamplerTest {
    @BeforeEach
    void needsAGpu() {
        String reason = "no CUDA device visible: CUDA sampler tests skipped";
        if (Device.cudaDeviceCount() == 0) {
            System.out.println("CudaSamplerTest: " + reason);
        }
        Assumptions.assumeTrue(Device.cudaDeviceCount() > 0, reason);
    }

    private static float[] run(Device d, Sampler sampler, SampleNoise noise) {
        try (Context ctx = Context.create(d); Tensor x = sampler.sample(ctx, SamplerTest.GAUSSIAN, new int[] {8, 16, 16, 3},
                null, noise, null)) {
            return x.toArray();
        }
    }

    @ParameterizedTest
    @CsvSource({"0, 0.0", "50, 0.0", "50, 1.0"})
    void cpuAndCudaAgree(int steps, double eta) {
        Sampler sampler = steps == 0 ? new DdpmSampler(SamplerTest.DIFFUSION, 100, Spacing.LINSPACE, 0, true)
                : new DdimSampler(SamplerTest.DIFFUSION, steps, eta, Spacing.TRAILING, 0, true);
        SampleNoise noise = SampleNoise.range(42, 1000, 8);
        double e = TestData.relativeError(run(Device.cuda(0), sampler, noise), run(Device.cpu(), sampler, noise));
        assertTrue(e < 1e-5, sampler + ": CUDA vs CPU relative error " + e);
    }

    @Test
    void initialNoiseIsBitIdenticalAcrossDevices() {
        Sampler s = DdimSampler.of(SamplerTest.DIFFUSION, 10);
        SampleNoise noise = new SampleNoise(9, new long[] {5, 1L << 40, 0, 77});
        float[][] x = new float[2][];
        Device[] devices = {Device.cpu(), Device.cuda(0)};
        for (int i = 0; i < 2; i++) {
            try (Context ctx = Context.create(devices[i]); Tensor t = s.initialNoise(ctx, new int[] {4, 7, 5, 3}, noise)) {
                x[i] = t.toArray();
            }
        }
        assertArrayEquals(x[0], x[1]);
    }

    private static float[][] step(Device d, SamplerStep.Coefficients c, int[] shape) {
        return step(d, c, shape, false);
    }

    /** out and the step's noise alone on d; learned: with a raw variance output r over [−1.5, 1.5]. */
    private static float[][] step(Device d, SamplerStep.Coefficients c, int[] shape, boolean learned) {
        int n = TestData.numel(shape);
        long[] ids = new long[shape[0]];
        for (int s = 0; s < ids.length; s++) {
            ids[s] = 1000 - 3L * s;
        }
        SamplerStep.Coefficients noiseOnly = new SamplerStep.Coefficients(0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, false);
        try (Context ctx = Context.create(d);
                Tensor x = Tensor.of(ctx, TestData.random(1, n, 1.5f), shape);
                Tensor e = Tensor.of(ctx, TestData.random(2, n, 1.8f), shape);
                Tensor u = Tensor.of(ctx, TestData.random(3, n, 1f), shape);
                Tensor r = Tensor.of(ctx, TestData.random(4, n, 1.5f), shape);
                Tensor out = Tensor.empty(ctx, shape).fill(Float.NaN);
                Tensor z = Tensor.empty(ctx, shape).fill(Float.NaN)) {
            SamplerStep.apply(ctx, out, x, e, c.guidance() > 0 ? u : null, learned ? r : null, c, 77, 4, ids);
            SamplerStep.apply(ctx, z, x, e, null, null, noiseOnly, 77, 4, ids);
            return new float[][] {out.toArray(), z.toArray()};
        }
    }

    @ParameterizedTest
    @CsvSource({"eps, true, 3.0, true", "x0, false, 0.0, false", "v, true, 1.5, false", "v, false, 0.0, true"})
    void fusedStepCpuAndCudaAgree(String param, boolean ddim, double w, boolean clip) {
        SamplerStep.Coefficients c = SamplerStepTest.coefficients(param, ddim, w, clip);
        for (int[] shape : new int[][] {{3, 5, 1}, {300, 7, 7, 3}}) {
            float[][] cpu = step(Device.cpu(), c, shape);
            float[][] gpu = step(Device.cuda(0), c, shape);
            assertArrayEquals(cpu[1], gpu[1], "the step's keyed noise must match bit for bit");
            double e = TestData.relativeError(gpu[0], cpu[0]);
            System.out.printf("cuda step %s ddim=%b w=%.1f clip=%b %s: %.2e%n", param, ddim, w, clip,
                    java.util.Arrays.toString(shape), e);
            assertTrue(e < 1e-6, "CUDA vs CPU relative error " + e);
        }
    }

    @ParameterizedTest
    @CsvSource({"eps, 100, 80, 3.0, true", "eps, 2, 1, 0.0, false", "v, 600, 599, 1.5, false"})
    void learnedVarianceStepCpuAndCudaAgree(String param, int t, int tPrev, double w, boolean clip) {
        SamplerStep.Coefficients c = SamplerStepTest.learnedVariance(param, t, tPrev, w, clip);
        for (int[] shape : new int[][] {{3, 5, 1}, {300, 7, 7, 3}}) {
            float[][] cpu = step(Device.cpu(), c, shape, true);
            float[][] gpu = step(Device.cuda(0), c, shape, true);
            assertArrayEquals(cpu[1], gpu[1], "the step's keyed noise must match bit for bit");
            double e = TestData.relativeError(gpu[0], cpu[0]);
            System.out.printf("cuda learned step %s t=%d->%d w=%.1f clip=%b %s: %.2e%n", param, t, tPrev, w, clip,
                    java.util.Arrays.toString(shape), e);
            assertTrue(e < 1e-6, "CUDA vs CPU relative error " + e);
        }
    }
}
