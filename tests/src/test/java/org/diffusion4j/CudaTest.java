package org.diffusion4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.diffusion.NoiseSchedule;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The CUDA backend against the CPU backend; skipped, with the reason printed, without a GPU. */
class CudaTest {
    @BeforeEach
    void needsAGpu() {
        int count = Device.cudaDeviceCount();
        String reason = "no CUDA device visible (library built " + (Device.cudaBuilt() ? "with" : "without")
                + " CUDA): CUDA tests skipped";
        if (count == 0) {
            System.out.println("CudaTest: " + reason);
        }
        Assumptions.assumeTrue(count > 0, reason);
    }

    private static float[][] run(Device device, int[] shape, int[] t) {
        NoiseSchedule schedule = NoiseSchedule.linear(1000);
        int n = java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) Math.sin(i * 0.1);
        }
        try (Context ctx = Context.create(device, 77);
                Tensor normal = Tensor.empty(ctx, shape);
                Tensor uniform = Tensor.empty(ctx, shape);
                Tensor x0 = Tensor.of(ctx, x, shape);
                Tensor xt = Tensor.empty(ctx, shape).fill(Float.NaN);
                Tensor eps = Tensor.empty(ctx, shape).fill(Float.NaN)) {
            normal.fillNormal(0f, 1f);
            uniform.fillUniform(-1f, 1f);
            org.diffusion4j.diffusion.GaussianDiffusion.of(schedule).qSample(ctx, xt, eps, x0, t);
            return new float[][] {normal.toArray(), uniform.toArray(), xt.toArray(), eps.toArray()};
        }
    }

    @Test
    void cudaMatchesCpu() {
        int[][] shapes = {{3, 5, 7, 2}, {64, 32, 32, 1}, {300, 14, 14, 3}};
        for (int[] shape : shapes) {
            int[] t = new int[shape[0]];
            for (int i = 0; i < t.length; i++) {
                t[i] = (i * 131 + 7) % 1000;
            }
            float[][] cpu = run(Device.cpu(), shape, t);
            float[][] gpu = run(Device.cuda(0), shape, t);
            assertArrayEquals(cpu[0], gpu[0], "Philox normals must match bit for bit");
            assertArrayEquals(cpu[1], gpu[1], "Philox uniforms must match bit for bit");
            assertArrayEquals(cpu[3], gpu[3], "q_sample eps must match bit for bit");
            double num = 0;
            double den = 0;
            for (int i = 0; i < cpu[2].length; i++) {
                num += Math.pow(cpu[2][i] - gpu[2][i], 2);
                den += Math.pow(cpu[2][i], 2);
            }
            assertTrue(Math.sqrt(num / den) < 1e-7, "x_t relative error " + Math.sqrt(num / den));
        }
    }

    @Test
    void cpuTensorOnCudaContextIsRefused() {
        try (Context cpu = Context.create(Device.cpu());
                Context gpu = Context.create(Device.cuda(0));
                Tensor a = Tensor.zeros(cpu, 4);
                Tensor b = Tensor.zeros(gpu, 4)) {
            D4jException e = assertThrows(D4jException.class, () -> b.copyFrom(a));
            assertEquals(Status.DEVICE, e.status());
        }
    }
}
