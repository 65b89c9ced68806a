package org.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.testing.TestData;
import org.diffusion4j.testing.TestNets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link UNet#predictGuided}, the guided step's conditional and unconditional outputs as one
 * batch of 2N, against the two N-batch {@link UNet#predict} calls it replaces: equal to the bit,
 * because every op of the U-Net computes a sample the same way whatever its batch (GroupNorm's
 * two CPU schedules merge statistics in one order; convolutions, attention and the dense layers
 * reduce per output row). Also the interface default and the fallbacks.
 */
class UNetGuidedTest {
    /**
     * 3 classes; at 32×32 with 16 base channels the activations pass the kernels' fork threshold,
     * so GroupNorm runs per chunk at N = 3 and per sample at 2N = 6 (with 2 threads).
     */
    static final UNetConfig SMALL = new UNetConfig(32, 1, 16, new int[] {1, 2}, 1, new int[] {16}, 2, 8, 0f, 3, 32);

    private static float[][] twoPasses(Context ctx, UNet net, Tensor x, int[] t, int[] labels, int[] outShape) {
        try (Tensor c = Tensor.empty(ctx, outShape); Tensor u = Tensor.empty(ctx, outShape)) {
            net.predict(ctx, c, x, t.clone(), labels.clone());
            net.predict(ctx, u, x, t.clone(), null);
            return new float[][] {c.toArray(), u.toArray()};
        }
    }

    private static float[][] oneBatch(Context ctx, UNet net, Tensor x, int[] t, int[] labels, int[] outShape) {
        try (Tensor c = Tensor.empty(ctx, outShape).fill(Float.NaN); Tensor u = Tensor.empty(ctx, outShape).fill(Float.NaN)) {
            net.predictGuided(ctx, c, u, x, t, labels);
            return new float[][] {c.toArray(), u.toArray()};
        }
    }

    /** Batches 1, 3 (GroupNorm per chunk at N, per sample at 2N) and 4; a label that is the null class itself. */
    @ParameterizedTest(name = "batch {0}")
    @ValueSource(ints = {1, 3, 4})
    void oneBatchOf2NEqualsTwoPassesOfN(int n) {
        try (Context ctx = Context.create(Device.cpu()); UNet net = TestNets.randomNet(ctx, SMALL);
                Tensor x = Tensor.empty(ctx, n, 32, 32, 1).copyFrom(TestData.random(n, n * 1024, 1f))) {
            int[] t = new int[n];
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                t[i] = 17 + 211 * i;
                labels[i] = i % 4; // 3 = the null class
            }
            int[] outShape = {n, 32, 32, 1};
            float[][] want = twoPasses(ctx, net, x, t, labels, outShape);
            for (int step = 0; step < 2; step++) { // the 2N buffers are reused on the second step
                float[][] got = oneBatch(ctx, net, x, t, labels, outShape);
                System.out.printf("predictGuided batch %d step %d: conditional %.2e, unconditional %.2e relative difference%n",
                        n, step, TestData.relativeError(got[0], want[0]), TestData.relativeError(got[1], want[1]));
                assertArrayEquals(want[0], got[0], "conditional half, batch " + n);
                assertArrayEquals(want[1], got[1], "unconditional half, batch " + n);
            }
            assertFalse(Arrays.equals(want[0], want[1]), "the class embedding must make the two outputs differ");
        }
    }

    @Test
    void learnedVarianceOutputsSplitAlongTheBatch() {
        UNetConfig cfg = SharedNets.TINY.withLearnedVariance(true);
        int n = 2;
        try (Context ctx = Context.create(Device.cpu()); UNet net = TestNets.randomNet(ctx, cfg);
                Tensor x = Tensor.empty(ctx, n, 8, 8, 1).copyFrom(TestData.random(5, n * 64, 1f))) {
            int[] t = {3, 90};
            int[] labels = {2, 0};
            int[] outShape = {n, 8, 8, 2};
            float[][] want = twoPasses(ctx, net, x, t, labels, outShape);
            float[][] got = oneBatch(ctx, net, x, t, labels, outShape);
            assertArrayEquals(want[0], got[0]);
            assertArrayEquals(want[1], got[1]);
        }
    }

    /** classes() == 0: no class embedding, so the interface's two passes run (and give equal halves). */
    @Test
    void anUnconditionalModelFallsBackToTwoPasses() {
        UNetConfig cfg = new UNetConfig(8, 1, 8, new int[] {1, 2}, 1, new int[] {4}, 2, 2, 0f, 0, 16);
        try (Context ctx = Context.create(Device.cpu()); UNet net = TestNets.randomNet(ctx, cfg);
                Tensor x = Tensor.empty(ctx, 2, 8, 8, 1).copyFrom(TestData.random(9, 128, 1f))) {
            int[] t = {4, 40};
            float[][] want = twoPasses(ctx, net, x, t, new int[] {0, 1}, new int[] {2, 8, 8, 1});
            float[][] got = oneBatch(ctx, net, x, t, new int[] {0, 1}, new int[] {2, 8, 8, 1});
            assertArrayEquals(want[0], got[0]);
            assertArrayEquals(want[1], got[1]);
        }
    }

    /** A Denoiser that implements only predict gets two calls, each with its own arrays, the second unconditional. */
    @Test
    void theDefaultMakesTheTwoPredictCalls() {
        List<int[]> seenLabels = new ArrayList<>();
        List<int[]> seenT = new ArrayList<>();
        Denoiser d = (ctx, out, xT, t, labels) -> {
            seenT.add(t);
            seenLabels.add(labels);
            out.fill(labels == null ? -1f : labels[0]);
            t[0] = 999; // a Denoiser may scribble on its arrays: the caller's stay intact
        };
        try (Context ctx = Context.create(Device.cpu()); Tensor x = Tensor.empty(ctx, 2, 2).fill(0f);
                Tensor c = Tensor.empty(ctx, 2, 2); Tensor u = Tensor.empty(ctx, 2, 2)) {
            int[] t = {5, 6};
            int[] labels = {7, 8};
            d.predictGuided(ctx, c, u, x, t, labels);
            assertEquals(2, seenLabels.size());
            assertArrayEquals(new int[] {7, 8}, seenLabels.get(0));
            assertNull(seenLabels.get(1));
            assertArrayEquals(new int[] {5, 6}, t);
            assertTrue(seenT.get(0) != t && seenT.get(1) != t && seenLabels.get(0) != labels, "copies, not the caller's arrays");
            assertArrayEquals(new float[] {7, 7, 7, 7}, c.toArray());
            assertArrayEquals(new float[] {-1, -1, -1, -1}, u.toArray());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> d.predictGuided(ctx, c, u, x, t, null));
            assertTrue(e.getMessage().contains("got null"), e.getMessage());
        }
    }

    @Test
    void badInputIsRefusedWithTheValues() {
        try (Context ctx = Context.create(Device.cpu()); UNet net = TestNets.randomNet(ctx, SharedNets.TINY);
                Tensor x = Tensor.empty(ctx, 2, 8, 8, 1).fill(0.5f); Tensor c = Tensor.empty(ctx, 2, 8, 8, 1);
                Tensor u = Tensor.empty(ctx, 2, 8, 8, 1); Tensor small = Tensor.empty(ctx, 1, 8, 8, 1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> net.predictGuided(ctx, c, u, x, new int[] {1, 2, 3}, new int[] {0, 1}));
            assertTrue(e.getMessage().contains("t has 3 and labels 2 entries; the batch x_t is 2"), e.getMessage());
            IllegalArgumentException label = assertThrows(IllegalArgumentException.class,
                    () -> net.predictGuided(ctx, c, u, x, new int[] {1, 2}, new int[] {0, 7}));
            assertTrue(label.getMessage().contains("labels[1] is 7"), label.getMessage());
            IllegalArgumentException out = assertThrows(IllegalArgumentException.class,
                    () -> net.predictGuided(ctx, small, u, x, new int[] {1, 2}, new int[] {0, 1}));
            assertTrue(out.getMessage().contains("outCond has 1 and outUncond 2 samples"), out.getMessage());
        }
    }

    /** The tiny network of the sampling tests. */
    static final class SharedNets {
        static final UNetConfig TINY = new UNetConfig(8, 1, 8, new int[] {1, 2}, 1, new int[] {4}, 2, 2, 0f, 3, 16);
    }
}
