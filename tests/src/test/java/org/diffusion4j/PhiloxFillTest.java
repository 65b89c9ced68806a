package org.diffusion4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.internal.D4jNative;
import org.junit.jupiter.api.Test;

class PhiloxFillTest {
    /** Random123's kat_vectors for philox4x32, 10 rounds: counter, key, expected output. */
    @Test
    void philoxKnownAnswers() {
        int[][][] kat = {
            {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
            {{-1, -1, -1, -1}, {-1, -1}, {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
            {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0},
                {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
        };
        org.diffusion4j.internal.Native.load();
        for (int[][] v : kat) {
            int[] out = new int[4];
            assertEquals(0, D4jNative.d4j_philox4x32_10(out, v[0], v[1]));
            assertArrayEquals(v[2], out);
        }
    }

    @Test
    void sameSeedAndOffsetGiveSameNumbers() {
        try (Context a = Context.create(Device.cpu(), 42);
                Context b = Context.create(Device.cpu(), 7);
                Tensor x = Tensor.empty(a, 3, 11, 5);
                Tensor y = Tensor.empty(b, 3, 11, 5)) {
            a.setRng(42, 1000);
            b.setRng(42, 1000);
            x.fillNormal(0f, 1f);
            y.fillNormal(0f, 1f);
            assertArrayEquals(x.toArray(), y.toArray());
            assertEquals(1000 + (165 + 3) / 4, a.rngOffset(), "offset advances by ceil(n/4) blocks");
            x.fillNormal(0f, 1f);
            float[] again = x.toArray();
            assertTrue(!java.util.Arrays.equals(again, y.toArray()), "the next draw must differ");
        }
    }

    @Test
    void normalAndUniformMoments() {
        try (Context ctx = Context.create(Device.cpu(), 3); Tensor t = Tensor.empty(ctx, 1 << 18)) {
            float[] n = t.fillNormal(-1f, 0.5f).toArray();
            double mean = 0;
            for (float v : n) {
                mean += v;
            }
            mean /= n.length;
            double var = 0;
            for (float v : n) {
                var += (v - mean) * (v - mean);
            }
            var /= n.length - 1;
            assertEquals(-1.0, mean, 0.005); // s.e. 0.001
            assertEquals(0.25, var, 0.004); // s.e. 0.0007
            float[] u = t.fillUniform(2f, 6f).toArray();
            double um = 0;
            for (float v : u) {
                assertTrue(v >= 2f && v < 6f, "uniform out of range: " + v);
                um += v;
            }
            assertEquals(4.0, um / u.length, 0.01); // s.e. 0.0023
        }
    }

    @Test
    void badParametersAreRejected() {
        try (Context ctx = Context.create(Device.cpu()); Tensor t = Tensor.empty(ctx, 4)) {
            D4jException e = assertThrows(D4jException.class, () -> t.fillNormal(0f, -2f));
            assertTrue(e.getMessage().contains("std -2"), e.getMessage());
            D4jException u = assertThrows(D4jException.class, () -> t.fillUniform(1f, 1f));
            assertTrue(u.getMessage().contains("low 1 and high 1"), u.getMessage());
        }
    }
}
