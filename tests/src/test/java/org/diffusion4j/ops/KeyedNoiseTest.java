package org.diffusion4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.diffusion4j.Context;
import org.diffusion4j.D4jException;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.testing.Philox;
import org.diffusion4j.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Keyed per-sample noise against the Java Philox reference of the keying in float64 (the
 * library's own log and sin/cos polynomials agree with Java's Math within 3e-6), a sample's
 * row bit-identical in batches of 1, 8 and 64 at other positions, other streams/ids/keys
 * different, the context's stream untouched, bad arguments named. Outputs poisoned with NaN.
 */
class KeyedNoiseTest {
    @Test
    void javaPhiloxMatchesRandom123KnownAnswers() {
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
                Philox.block(new int[] {0, 0, 0, 0}, 0, 0));
        assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
                Philox.block(new int[] {-1, -1, -1, -1}, -1, -1));
        assertArrayEquals(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
                Philox.block(new int[] {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, 0xa4093822, 0x299f31d0));
        org.diffusion4j.internal.Native.load();
        int[] out = new int[4];
        D4jNative.d4j_philox4x32_10(out, new int[] {5, 6, 7, 8}, new int[] {9, 10});
        assertArrayEquals(Philox.block(new int[] {5, 6, 7, 8}, 9, 10), out, "Java and native Philox agree");
    }

    /** "3x5x1": per_sample not a multiple of 4; 64x28x28x1 the parallel path. */
    @ParameterizedTest
    @ValueSource(strings = {"3x5x1", "2x1", "4x7x7x3", "64x28x28x1", "70x3"})
    void matchesTheFloat64Reference(String dims) {
        int[] shape = TestData.shape(dims);
        int n = TestData.numel(shape);
        int per = n / shape[0];
        long[] ids = new long[shape[0]];
        for (int s = 0; s < ids.length; s++) {
            ids[s] = s * 7919L + (s % 2 == 1 ? Long.MIN_VALUE : 0); // both words of the id
        }
        float[] x = TestData.random(3, n, 2f);
        long key = 0xfeedface12345678L;
        double[] z = Philox.keyedNoise(key, 11, ids, per);
        try (Context ctx = Context.create(Device.cpu(), 17);
                Tensor tx = Tensor.of(ctx, x, shape);
                Tensor out = Tensor.empty(ctx, shape).fill(Float.NaN);
                Tensor noise = Tensor.empty(ctx, shape).fill(Float.NaN)) {
            long offset = ctx.rngOffset();
            KeyedNoise.apply(ctx, out, tx, 0.5f, -1.25f, key, 11, ids);
            KeyedNoise.apply(ctx, noise, null, 0f, 1f, key, 11, ids);
            assertEquals(offset, ctx.rngOffset(), "keyed noise must not move the context's stream");
            assertEquals(17, ctx.seed());
            float[] o = out.toArray();
            float[] zn = noise.toArray();
            double worst = 0;
            double worstZ = 0;
            for (int i = 0; i < n; i++) {
                double ref = 0.5 * x[i] - 1.25 * z[i];
                worst = Math.max(worst, Float.isNaN(o[i]) ? Double.POSITIVE_INFINITY
                        : Math.abs(o[i] - ref) / Math.max(1, Math.abs(ref)));
                worstZ = Math.max(worstZ, Float.isNaN(zn[i]) ? Double.POSITIVE_INFINITY
                        : Math.abs(zn[i] - z[i]) / Math.max(1, Math.abs(z[i])));
            }
            System.out.printf("keyed noise %s: max error vs the Java reference %.2e (z alone %.2e)%n", dims, worst, worstZ);
            assertTrue(worstZ < 3e-6, "z vs the Java reference: " + worstZ);
            assertTrue(worst < 3e-6, "a x + b z vs the Java reference: " + worst);
        }
    }

    private static float[] row(Context ctx, int batch, int pos, int stream, long key, long id, int... sample) {
        int[] shape = new int[sample.length + 1];
        shape[0] = batch;
        System.arraycopy(sample, 0, shape, 1, sample.length);
        int per = TestData.numel(sample);
        long[] ids = new long[batch];
        for (int s = 0; s < batch; s++) {
            ids[s] = 500 + 13L * s;
        }
        ids[pos] = id;
        try (Tensor t = Tensor.empty(ctx, shape).fill(Float.NaN)) {
            KeyedNoise.apply(ctx, t, null, 0f, 1f, key, stream, ids);
            return Arrays.copyOfRange(t.toArray(), pos * per, (pos + 1) * per);
        }
    }

    private static int sameBits(float[] a, float[] b) {
        int same = 0;
        for (int i = 0; i < a.length; i++) {
            same += Float.floatToRawIntBits(a[i]) == Float.floatToRawIntBits(b[i]) ? 1 : 0;
        }
        return same;
    }

    @ParameterizedTest
    @ValueSource(strings = {"5x1", "28x28x1", "3"})
    void aSampleDoesNotDependOnItsBatch(String dims) {
        int[] sample = TestData.shape(dims);
        try (Context ctx = Context.create(Device.cpu())) {
            float[] alone = row(ctx, 1, 0, 2, 9, 777, sample);
            assertArrayEquals(alone, row(ctx, 8, 5, 2, 9, 777, sample), "batch 8, position 5");
            assertArrayEquals(alone, row(ctx, 64, 41, 2, 9, 777, sample), "batch 64, position 41");
            int limit = 1 + alone.length / 1000;
            assertTrue(sameBits(alone, row(ctx, 8, 5, 3, 9, 777, sample)) <= limit, "another stream");
            assertTrue(sameBits(alone, row(ctx, 8, 5, 2, 9, 778, sample)) <= limit, "another id");
            assertTrue(sameBits(alone, row(ctx, 8, 5, 2, 10, 777, sample)) <= limit, "another key");
            assertTrue(sameBits(alone, row(ctx, 8, 5, 2, 9, 777 + (1L << 32), sample)) <= limit, "the id's high word");
        }
    }

    @Test
    void badArgumentsAreNamed() {
        try (Context ctx = Context.create(Device.cpu());
                Tensor out = Tensor.empty(ctx, 3, 5);
                Tensor other = Tensor.empty(ctx, 3, 6)) {
            long[] ids = {1, 2, 3};
            IllegalArgumentException few = assertThrows(IllegalArgumentException.class,
                    () -> KeyedNoise.apply(ctx, out, null, 0, 1, 0, 0, new long[] {1, 2}));
            assertTrue(few.getMessage().contains("ids has 2 entries but out has 3 samples"), few.getMessage());
            NullPointerException none = assertThrows(NullPointerException.class,
                    () -> KeyedNoise.apply(ctx, out, null, 0, 1, 0, 0, null));
            assertTrue(none.getMessage().contains("ids"), none.getMessage());
            IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                    () -> KeyedNoise.apply(ctx, out, null, Float.NaN, 1, 0, 0, ids));
            assertTrue(nan.getMessage().contains("a is NaN"), nan.getMessage());
            D4jException shape = assertThrows(D4jException.class, () -> KeyedNoise.apply(ctx, out, other, 1, 1, 0, 0, ids));
            assertTrue(shape.getMessage().contains("x has shape [3, 6] but out has shape [3, 5]"), shape.getMessage());
        }
    }
}
