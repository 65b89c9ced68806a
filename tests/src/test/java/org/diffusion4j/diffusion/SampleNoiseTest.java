package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The noise of sample i is a function of (seed, id, draw) only: the same image comes out when it
 * is drawn alone, in a batch of 8 or 64, or at another position (diffusers #2659, #3158, #6233).
 */
class SampleNoiseTest {
    static final int[] IMAGE = {6, 6, 2};
    static final int PER = 72;
    static final long ID = 5;

    /** Batches of 1, 8 and 64 holding ID at positions 0, 3 and 63, among other ids. */
    static long[][] batches() {
        long[] eight = {20, 21, 22, ID, 23, 24, 25, 26};
        long[] many = new long[64];
        for (int i = 0; i < 63; i++) {
            many[i] = 1000 + 7L * i;
        }
        many[63] = ID;
        return new long[][] {{ID}, eight, many};
    }

    static int position(long[] ids) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == ID) {
                return i;
            }
        }
        throw new AssertionError();
    }

    static float[] row(float[] all, int i) {
        return Arrays.copyOfRange(all, i * PER, (i + 1) * PER);
    }

    static int[] shape(int n) {
        return new int[] {n, IMAGE[0], IMAGE[1], IMAGE[2]};
    }

    @Test
    void initialNoiseDependsOnTheIdOnly() {
        Sampler s = DdimSampler.of(SamplerTest.DIFFUSION, 10);
        float[] first = null;
        try (Context ctx = Context.create(Device.cpu())) {
            for (long[] ids : batches()) {
                try (Tensor x = s.initialNoise(ctx, shape(ids.length), new SampleNoise(3, ids))) {
                    float[] r = row(x.toArray(), position(ids));
                    if (first == null) {
                        first = r;
                    }
                    assertArrayEquals(first, r, "x_T of id " + ID + " in a batch of " + ids.length);
                }
            }
            try (Tensor other = s.initialNoise(ctx, shape(1), new SampleNoise(4, new long[] {ID}))) {
                assertFalse(Arrays.equals(first, other.toArray()), "another seed, other noise");
            }
        }
    }

    /** Each step's noise: x = 0 and output 0 leave x_prev = σ z, row by row. */
    @Test
    void stepNoiseDependsOnTheIdAndTheStepOnly() {
        Sampler s = new DdpmSampler(SamplerTest.DIFFUSION, 10, Spacing.LINSPACE, 0, false);
        float[][] first = new float[3][];
        try (Context ctx = Context.create(Device.cpu())) {
            for (long[] ids : batches()) {
                try (Tensor zero = Tensor.zeros(ctx, shape(ids.length)); Tensor x = Tensor.empty(ctx, shape(ids.length))) {
                    for (int k = 0; k < 3; k++) {
                        s.step(ctx, k, x, zero, zero, null, new SampleNoise(3, ids));
                        float[] r = row(x.toArray(), position(ids));
                        if (first[k] == null) {
                            first[k] = r;
                        }
                        assertArrayEquals(first[k], r, "step " + k + " noise of id " + ID + " in a batch of " + ids.length);
                    }
                }
            }
        }
        assertFalse(Arrays.equals(first[0], first[1]), "each step draws fresh noise");
    }

    /** Whole DDPM and DDIM (η = 1) runs of an elementwise model: bit-identical images. */
    @Test
    void sampledImagesDependOnTheIdOnly() {
        for (Sampler s : new Sampler[] {new DdpmSampler(SamplerTest.DIFFUSION, 25, Spacing.LINSPACE, 0, true),
            new DdimSampler(SamplerTest.DIFFUSION, 25, 1.0, Spacing.TRAILING, 0, true)}) {
            float[] first = null;
            try (Context ctx = Context.create(Device.cpu())) {
                for (long[] ids : batches()) {
                    try (Tensor x = s.sample(ctx, SamplerTest.GAUSSIAN, shape(ids.length), null, new SampleNoise(3, ids),
                            null)) {
                        float[] r = row(x.toArray(), position(ids));
                        if (first == null) {
                            first = r;
                        }
                        assertArrayEquals(first, r, s + ": image of id " + ID + " in a batch of " + ids.length);
                    }
                }
            }
        }
    }
}
