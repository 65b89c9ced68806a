package org.diffusion4j.ops;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.testing.TestData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * CUDA AdamW, clipping and EMA against the CPU backend; skipped, with the reason printed, without
 * a GPU. 70 tensors of sizes from 1 to 300 000 elements: three launch tables of 32, and blocks'
 * 4096-element chunks that start, end and span inside tensors.
 */
class CudaOptimizerTest {
    private static final int TENSORS = 70;

    @BeforeEach
    void needsAGpu() {
        String reason = "no CUDA device visible: CUDA optimizer tests skipped";
        if (Device.cudaDeviceCount() == 0) {
            System.out.println("CudaOptimizerTest: " + reason);
        }
        Assumptions.assumeTrue(Device.cudaDeviceCount() > 0, reason);
    }

    private static int size(int k) {
        int[] sizes = {1, 7, 4095, 4096, 4097, 300_000, 129, 64 * 64};
        return sizes[k % sizes.length] + k;
    }

    private static List<Tensor> tensors(Context ctx, long seed, float scale) {
        List<Tensor> list = new ArrayList<>();
        for (int k = 0; k < TENSORS; k++) {
            list.add(scale == 0 ? Tensor.zeros(ctx, size(k)) : Tensor.of(ctx, TestData.random(seed + k, size(k), scale), size(k)));
        }
        return list;
    }

    /** norm, then every tensor of g, p, ema after clipping, three AdamW steps and an EMA update */
    private static List<float[]> run(Device d) {
        try (Context ctx = Context.create(d); Tensor norm = Tensor.empty(ctx, 1).fill(Float.NaN)) {
            List<Tensor> p = tensors(ctx, 1000, 1f);
            List<Tensor> m = tensors(ctx, 0, 0f);
            List<Tensor> v = tensors(ctx, 0, 0f);
            List<Tensor> g = tensors(ctx, 2000, 5f);
            List<Tensor> ema = tensors(ctx, 3000, 1f);
            Optimizer.clipGradNorm(ctx, norm, g, 1f);
            for (int step = 1; step <= 3; step++) {
                Optimizer.adamwStep(ctx, p, m, v, g, new Optimizer.AdamW(1e-3f, 0.9f, 0.999f, 1e-8f, 0.05f), step);
            }
            Optimizer.emaUpdate(ctx, ema, p, 0.99f);
            List<float[]> out = new ArrayList<>();
            out.add(norm.toArray());
            for (List<Tensor> l : List.of(g, p, ema)) {
                for (Tensor t : l) {
                    out.add(t.toArray());
                    t.close();
                }
            }
            m.forEach(Tensor::close);
            v.forEach(Tensor::close);
            return out;
        }
    }

    @Test
    void cudaMatchesCpu() {
        List<float[]> cpu = run(Device.cpu());
        List<float[]> gpu = run(Device.cuda(0));
        String[] names = {"g", "p", "ema"};
        double e = TestData.relativeError(gpu.get(0), cpu.get(0));
        System.out.printf("CUDA vs CPU: norm %.8g vs %.8g%n", gpu.get(0)[0], cpu.get(0)[0]);
        assertTrue(e < 1e-6, "norm CUDA vs CPU relative error " + e);
        for (int i = 1; i < cpu.size(); i++) {
            e = TestData.relativeError(gpu.get(i), cpu.get(i));
            assertTrue(e < 1e-5, names[(i - 1) / TENSORS] + "[" + (i - 1) % TENSORS + "] CUDA vs CPU relative error " + e);
        }
    }

    @Test
    void clipNormIsTheSameOnEveryRun() {
        float[] first = null;
        for (int run = 0; run < 3; run++) {
            try (Context ctx = Context.create(Device.cuda(0)); Tensor norm = Tensor.empty(ctx, 1)) {
                List<Tensor> g = tensors(ctx, 2000, 5f);
                Optimizer.clipGradNorm(ctx, norm, g, 1f);
                float[] n = norm.toArray();
                if (first == null) {
                    first = n;
                }
                assertTrue(Float.floatToIntBits(first[0]) == Float.floatToIntBits(n[0]), "norm " + n[0] + " then " + first[0]);
                g.forEach(Tensor::close);
            }
        }
    }
}
