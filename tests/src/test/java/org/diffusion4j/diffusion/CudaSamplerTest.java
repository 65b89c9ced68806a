package org.diffusion4j.diffusion;

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
 * The same seed gives the same samples on CPU and CUDA: DDPM and DDIM (η = 0 and 1) with the
 * exact Gaussian predictor; skipped, with the reason printed, without a GPU.
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

    private static float[] run(Device d, Sampler sampler) {
        try (Context ctx = Context.create(d); Tensor x = sampler.sample(ctx, SamplerTest.GAUSSIAN, new int[] {8, 16, 16, 3},
                null, 42, null)) {
            return x.toArray();
        }
    }

    @ParameterizedTest
    @CsvSource({"0, 0.0", "50, 0.0", "50, 1.0"})
    void cpuAndCudaAgree(int steps, double eta) {
        Sampler sampler = steps == 0 ? DdpmSampler.of(SamplerTest.SCHEDULE)
                : new DdimSampler(SamplerTest.SCHEDULE, steps, eta, DdimSampler.Spacing.TRAILING, 0, true);
        double e = TestData.relativeError(run(Device.cuda(0), sampler), run(Device.cpu(), sampler));
        assertTrue(e < 1e-5, sampler + ": CUDA vs CPU relative error " + e);
    }
}
