package org.diffusion4j.ops;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.testing.TestData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** CUDA AdamW, clipping and EMA against the CPU backend; skipped, with the reason printed, without a GPU. */
class CudaOptimizerTest {
    @BeforeEach
    void needsAGpu() {
        String reason = "no CUDA device visible: CUDA optimizer tests skipped";
        if (Device.cudaDeviceCount() == 0) {
            System.out.println("CudaOptimizerTest: " + reason);
        }
        Assumptions.assumeTrue(Device.cudaDeviceCount() > 0, reason);
    }

    private static float[][] run(Device d) {
        try (Context ctx = Context.create(d);
                Tensor p = Tensor.of(ctx, TestData.random(1, 4096, 1f), 64, 64);
                Tensor m = Tensor.zeros(ctx, 64, 64);
                Tensor v = Tensor.zeros(ctx, 64, 64);
                Tensor g = Tensor.of(ctx, TestData.random(2, 4096, 5f), 64, 64);
                Tensor ema = Tensor.of(ctx, TestData.random(3, 4096, 1f), 64, 64);
                Tensor norm = Tensor.empty(ctx, 1)) {
            Optimizer.clipGradNorm(ctx, norm, List.of(g), 1f);
            for (int step = 1; step <= 3; step++) {
                Optimizer.adamwStep(ctx, List.of(p), List.of(m), List.of(v), List.of(g), Optimizer.AdamW.defaults(1e-3f), step);
            }
            Optimizer.emaUpdate(ctx, List.of(ema), List.of(p), 0.99f);
            return new float[][] {norm.toArray(), g.toArray(), p.toArray(), ema.toArray()};
        }
    }

    @Test
    void cudaMatchesCpu() {
        float[][] cpu = run(Device.cpu());
        float[][] gpu = run(Device.cuda(0));
        for (int i = 0; i < 4; i++) {
            double e = TestData.relativeError(gpu[i], cpu[i]);
            assertTrue(e < 1e-5, "output " + i + " CUDA vs CPU relative error " + e);
        }
    }
}
