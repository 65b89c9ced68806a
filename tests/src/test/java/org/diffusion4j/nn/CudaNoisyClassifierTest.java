package org.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.testing.TestData;
import org.diffusion4j.testing.TestNets;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The noisy classifier's input gradient (classifier guidance's one pass) on CUDA against the CPU
 * backend, for the Fashion-MNIST layout with every weight random; skipped, with the reason
 * printed, without a GPU.
 */
class CudaNoisyClassifierTest {
    @BeforeEach
    void needsAGpu() {
        String reason = "no CUDA device visible: CUDA noisy-classifier test skipped";
        if (Device.cudaDeviceCount() == 0) {
            System.out.println("CudaNoisyClassifierTest: " + reason);
        }
        Assumptions.assumeTrue(Device.cudaDeviceCount() > 0, reason);
    }

    private static float[] gradient(Device d, float[] x, int[] t, int[] labels) {
        try (Context ctx = Context.create(d);
                NoisyClassifier c = TestNets.randomize(new NoisyClassifier(ctx, UNetConfig.fashionMnist(16), 0));
                Tensor tx = Tensor.of(ctx, x, 4, 28, 28, 1); Tensor g = Tensor.empty(ctx, 4, 28, 28, 1).fill(Float.NaN)) {
            c.setFrozen(true);
            c.inputGradient(ctx, g, tx, t, labels);
            return g.toArray();
        }
    }

    @Test
    void inputGradientMatchesTheCpu() {
        float[] x = TestData.random(3, 4 * 28 * 28, 1f);
        int[] t = {0, 10, 500, 999};
        int[] labels = {3, 0, 9, 5};
        float[] cpu = gradient(Device.cpu(), x, t, labels);
        float[] gpu = gradient(Device.cuda(0), x, t, labels);
        double num = 0;
        double den = 0;
        for (int i = 0; i < cpu.length; i++) {
            num += (cpu[i] - gpu[i]) * (double) (cpu[i] - gpu[i]);
            den += cpu[i] * (double) cpu[i];
        }
        double rel = Math.sqrt(num / den);
        System.out.printf("CUDA vs CPU noisy-classifier input gradient: relative L2 error %.2e%n", rel);
        assertTrue(den > 0 && rel < 1e-3, "relative L2 error " + rel);
    }
}
