package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.nn.UNet;
import org.diffusion4j.nn.UNetConfig;
import org.diffusion4j.testing.TestData;
import org.diffusion4j.testing.TestNets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One U-Net and one sampler shared by threads that each own a context give exactly the samples
 * the same calls give one after another; and a U-Net's sample of id i does not depend on the
 * batch it is drawn in.
 */
class SharedModelSamplingTest {
    static final UNetConfig TINY = new UNetConfig(8, 1, 8, new int[] {1, 2}, 1, new int[] {4}, 2, 2, 0f, 3, 16);
    static final Sampler SAMPLER = new DdimSampler(GaussianDiffusion.of(NoiseSchedule.linear(100)), 6, 1.0,
            Spacing.TRAILING, 2.0, true);

    /** Call c: a batch of 1 + c % 4 images with ids from 10c, labels c, c + 1, ... mod 3. */
    static float[] call(Context ctx, UNet net, int c) {
        int n = 1 + c % 4;
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = (c + i) % 3;
        }
        try (Tensor x = SAMPLER.sample(ctx, net, new int[] {n, 8, 8, 1}, labels, SampleNoise.range(5, 10L * c, n), null)) {
            return x.toArray();
        }
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {2, 4, 8})
    void threadsSamplingFromOneModelMatchTheSequentialCalls(int threads) throws Exception {
        int perThread = 3;
        try (Context main = Context.create(Device.cpu()); UNet net = TestNets.randomNet(main, TINY)) {
            float[][] sequential = new float[threads * perThread][];
            for (int c = 0; c < sequential.length; c++) {
                sequential[c] = call(main, net, c);
            }
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                CyclicBarrier start = new CyclicBarrier(threads);
                List<Future<float[][]>> futures = new ArrayList<>();
                for (int th = 0; th < threads; th++) {
                    int first = th * perThread;
                    futures.add(pool.submit(() -> {
                        try (Context ctx = Context.create(Device.cpu())) {
                            start.await();
                            float[][] out = new float[perThread][];
                            for (int i = 0; i < perThread; i++) {
                                out[i] = call(ctx, net, first + i);
                            }
                            return out;
                        }
                    }));
                }
                for (int th = 0; th < threads; th++) {
                    float[][] got = futures.get(th).get();
                    for (int i = 0; i < perThread; i++) {
                        assertArrayEquals(sequential[th * perThread + i], got[i], "thread " + th + " call " + i);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * The U-Net's sample of id 5 drawn alone, in a batch of 8 at position 3 and in a batch of 64
     * at position 63: identical up to float rounding (bitwise where the kernels reduce per sample).
     */
    @Test
    void aUNetSampleDoesNotDependOnItsBatch() {
        long[][] batches = SampleNoiseTest.batches();
        float[] first = null;
        try (Context ctx = Context.create(Device.cpu()); UNet net = TestNets.randomNet(ctx, TINY)) {
            for (long[] ids : batches) {
                int n = ids.length;
                int[] labels = new int[n];
                Arrays.fill(labels, 1);
                try (Tensor x = SAMPLER.sample(ctx, net, new int[] {n, 8, 8, 1}, labels, new SampleNoise(3, ids), null)) {
                    int p = SampleNoiseTest.position(ids);
                    float[] row = Arrays.copyOfRange(x.toArray(), p * 64, (p + 1) * 64);
                    if (first == null) {
                        first = row;
                    } else {
                        double e = TestData.relativeError(row, first);
                        System.out.printf("U-Net sample of id 5 in a batch of %d: relative difference %.2e (%s)%n", n, e,
                                Arrays.equals(row, first) ? "bitwise equal" : "not bitwise");
                        assertTrue(e < 1e-5, "batch of " + n + ": " + e);
                    }
                }
            }
        }
    }
}
