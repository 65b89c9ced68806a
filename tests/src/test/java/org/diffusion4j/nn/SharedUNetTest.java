package org.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.testing.TestData;
import org.diffusion4j.testing.TestNets;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One trained U-Net shared by threads that each own a context: every call's result is the one
 * the same call gives alone, bit for bit.
 */
class SharedUNetTest {
    static final UNetConfig TINY = new UNetConfig(8, 1, 8, new int[] {1, 2}, 1, new int[] {4}, 2, 2, 0f, 3, 16);

    /** One predict call: input, timesteps and labels (null: the unconditional prediction). */
    record Call(float[] x, int[] t, int[] labels) {
        int batch() {
            return t.length;
        }
    }

    /** Calls of batch 1 to 4, random timesteps, labels or null labels. */
    static List<Call> calls(int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Call> calls = new ArrayList<>();
        for (int c = 0; c < count; c++) {
            int n = 1 + r.nextInt(4);
            int[] t = new int[n];
            int[] labels = c % 3 == 2 ? null : new int[n];
            for (int i = 0; i < n; i++) {
                t[i] = r.nextInt(1000);
                if (labels != null) {
                    labels[i] = r.nextInt(4); // 3 is the null class
                }
            }
            calls.add(new Call(TestData.random(r.nextLong(), n * 64, 1f), t, labels));
        }
        return calls;
    }

    static float[] predict(UNet net, Context ctx, Call c) {
        try (Tensor x = Tensor.of(ctx, c.x(), c.batch(), 8, 8, 1); Tensor eps = Tensor.empty(ctx, c.batch(), 8, 8, 1)) {
            eps.fill(Float.NaN);
            net.predict(ctx, eps, x, c.t(), c.labels());
            return eps.toArray();
        }
    }

    static void assertBitwiseEqual(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                throw new AssertionError(what + ": element " + i + " is " + got[i] + ", alone it is " + want[i]);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void threadsWithTheirOwnContextsPredictAsOneAfterAnother(int threads) throws Exception {
        int rounds = 3;
        int perThread = 4;
        List<Call> calls = calls(threads * perThread, 1000 + threads);
        try (Context home = Context.create(Device.cpu(), 1); UNet net = TestNets.randomNet(home, TINY)) {
            List<float[]> alone = new ArrayList<>();
            for (Call c : calls) {
                alone.add(predict(net, home, c));
            }
            CyclicBarrier start = new CyclicBarrier(threads);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<List<float[]>>> results = new ArrayList<>();
                for (int th = 0; th < threads; th++) {
                    int id = th;
                    results.add(pool.submit(() -> {
                        List<float[]> out = new ArrayList<>();
                        try (Context ctx = Context.create(Device.cpu(), 100 + id)) {
                            start.await();
                            for (int round = 0; round < rounds; round++) {
                                for (int k = 0; k < perThread; k++) {
                                    out.add(predict(net, ctx, calls.get(id * perThread + k)));
                                }
                            }
                        }
                        return out;
                    }));
                }
                for (int th = 0; th < threads; th++) {
                    List<float[]> out = results.get(th).get();
                    for (int round = 0; round < rounds; round++) {
                        for (int k = 0; k < perThread; k++) {
                            int c = th * perThread + k;
                            assertBitwiseEqual(alone.get(c), out.get(round * perThread + k),
                                    "thread " + th + " round " + round + " call " + c + " (batch " + calls.get(c).batch()
                                            + (calls.get(c).labels() == null ? ", null labels)" : ")"));
                        }
                    }
                }
            } finally {
                pool.shutdownNow();
            }
            System.out.println(threads + " threads, own contexts, " + rounds * threads * perThread
                    + " predict calls on one U-Net: every result bitwise equal to the same call alone");
        }
    }

    /** Every gradient, in parameter order. */
    static float[][] grads(UNet net) {
        return net.parameters().stream().map(p -> p.grad().toArray()).toArray(float[][]::new);
    }

    static void assertSameGrads(float[][] want, float[][] got, UNet net, String what) {
        List<Param> ps = net.parameters();
        for (int i = 0; i < want.length; i++) {
            assertBitwiseEqual(want[i], got[i], what + ", gradient of " + ps.get(i).name());
        }
    }

    /**
     * Training is single-context: gradients belong to the context that built the model. A
     * training forward on another context in between (dropout on, its masks from that context's
     * stream) leaves the home context's step bit for bit as it was; a backward on the other
     * context, which would write the home context's gradients, is refused by the native
     * cross-context rule.
     */
    @Test
    void aForwardOnAnotherContextLeavesTheTrainingStepAlone() {
        UNetConfig config = TINY.withDropout(0.2f);
        Call a = new Call(TestData.random(1, 2 * 64, 1f), new int[] {3, 900}, new int[] {0, 2});
        Call b = new Call(TestData.random(2, 3 * 64, 1f), new int[] {500, 1, 77}, null);
        float[] da = TestData.random(3, 2 * 64, 1f);
        try (Context home = Context.create(Device.cpu(), 1); UNet net = TestNets.randomNet(home, config);
                Tensor xa = Tensor.of(home, a.x(), 2, 8, 8, 1); Tensor dA = Tensor.of(home, da, 2, 8, 8, 1)) {
            home.setRng(5, 0);
            net.zeroGrad();
            float[] outA = net.forward(home, xa, a.t(), a.labels(), true).toArray();
            net.backward(home, dA);
            float[][] alone = grads(net);
            try (Context other = Context.create(Device.cpu(), 6); Tensor xb = Tensor.of(other, b.x(), 3, 8, 8, 1);
                    Tensor dB = Tensor.of(other, TestData.random(4, 3 * 64, 1f), 3, 8, 8, 1)) {
                home.setRng(5, 0);
                net.zeroGrad();
                Tensor ya = net.forward(home, xa, a.t(), a.labels(), true);
                net.forward(other, xb, b.t(), b.labels(), true);
                assertBitwiseEqual(outA, ya.toArray(), "A's output after B's forward");
                net.backward(home, dA);
                assertSameGrads(alone, grads(net), net, "A's gradients with B's forward in between");
                org.diffusion4j.D4jException e = assertThrows(org.diffusion4j.D4jException.class,
                        () -> net.backward(other, dB));
                assertTrue(e.getMessage().contains("an op writes only tensors of its own context"), e.getMessage());
            }
            double norm = 0;
            for (float[] g : alone) {
                for (float v : g) {
                    norm += (double) v * v;
                }
            }
            assertTrue(norm > 0 && Double.isFinite(norm), "gradient norm² " + norm);
        }
    }

    @Test
    void backwardOnAContextWithoutAForwardIsRefused() {
        try (Context home = Context.create(Device.cpu(), 1); UNet net = TestNets.randomNet(home, TINY);
                Context other = Context.create(Device.cpu()); Tensor x = Tensor.empty(home, 1, 8, 8, 1).fill(0.5f)) {
            net.forward(home, x, new int[] {1}, null, true);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> net.backward(other, x));
            assertTrue(e.getMessage().contains("no forward"), e.getMessage());
        }
    }

    /**
     * Closing a context frees the state the model kept on it: over 100 contexts nothing stays
     * behind (the outputs, owned by that state, are closed; no context still holds state), and
     * release and closing the model free it from a context that stays open.
     */
    @Test
    void closingAContextFreesTheModelsStateOnIt() {
        Call c = calls(1, 9).get(0);
        try (Context home = Context.create(Device.cpu(), 1); UNet net = TestNets.randomNet(home, TINY)) {
            float[] want = predict(net, home, c);
            List<Tensor> outputs = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                try (Context ctx = Context.create(Device.cpu(), i); Tensor x = Tensor.of(ctx, c.x(), c.batch(), 8, 8, 1)) {
                    Tensor out = net.forward(ctx, x, c.t(), c.labels(), false);
                    assertBitwiseEqual(want, out.toArray(), "context " + i);
                    outputs.add(out);
                    assertEquals(2, net.contextsHoldingState(), "home and context " + i);
                }
            }
            assertEquals(1, net.contextsHoldingState(), "only home still holds state");
            assertTrue(outputs.stream().allMatch(Tensor::isClosed), "every closed context freed the output it held");

            try (Context ctx = Context.create(Device.cpu())) {
                assertEquals(0, ctx.memoryInUse());
                predict(net, ctx, c); // its input and output tensors are closed again
                long held = ctx.memoryInUse();
                assertTrue(held > 0, "the model's activations live on the call's context");
                net.release(ctx);
                assertEquals(0, ctx.memoryInUse(), "release frees every module's state on the context");
                assertBitwiseEqual(want, predict(net, ctx, c), "after release");
                assertEquals(held, ctx.memoryInUse(), "the same buffers again");
            }
        }
        try (Context home = Context.create(Device.cpu(), 1); Context ctx = Context.create(Device.cpu())) {
            UNet net = TestNets.randomNet(home, TINY);
            predict(net, ctx, c);
            assertTrue(ctx.memoryInUse() > 0);
            net.close();
            assertEquals(0, ctx.memoryInUse(), "closing the model frees its state on an open context");
        }
    }

    /** Weights on one device, a context on another: refused, naming both. Needs a GPU. */
    @Test
    void aContextOnAnotherDeviceIsRefused() {
        int count = Device.cudaDeviceCount();
        String reason = "no CUDA device visible (library built " + (Device.cudaBuilt() ? "with" : "without")
                + " CUDA): the CPU-weights-on-a-CUDA-context check is skipped";
        if (count == 0) {
            System.out.println("SharedUNetTest: " + reason);
        }
        Assumptions.assumeTrue(count > 0, reason);
        Call c = calls(1, 9).get(0);
        try (Context cpu = Context.create(Device.cpu()); Context gpu = Context.create(Device.cuda(0));
                UNet onCpu = TestNets.randomNet(cpu, TINY); UNet onGpu = TestNets.randomNet(gpu, TINY)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> predict(onCpu, gpu, c));
            assertTrue(e.getMessage().contains("cuda:0") && e.getMessage().contains("cpu"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> predict(onGpu, cpu, c));
            assertTrue(e.getMessage().contains("cuda:0") && e.getMessage().contains("cpu"), e.getMessage());
            System.out.println("device mismatch refused: " + e.getMessage());
            float[] want = predict(onCpu, cpu, c);
            float[] got = predict(onGpu, gpu, c);
            assertTrue(TestData.relativeError(got, want) < 1e-4, "CUDA vs CPU U-Net " + TestData.relativeError(got, want));
        }
    }
}
