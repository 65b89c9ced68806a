package org.diffusion4j.diffusion;

import java.util.Objects;
import org.diffusion4j.Seeds;

/**
 * Which noise each sample of a batch gets: a seed and one id per sample. A sampler draws every
 * random number of sample i from Philox keyed by (derive(seed, SAMPLING), draw, ids[i]), where
 * draw 0 is the starting noise x_T and draw k the noise of step k; so an image depends on
 * (seed, id) only — not on the batch size, its position in the batch, or the device — and the
 * caller's context RNG is never read or moved.
 *
 * @param seed the user's seed
 * @param ids one id per sample, in batch order
 */
public record SampleNoise(long seed, long[] ids) {
    public SampleNoise {
        Objects.requireNonNull(ids, "ids");
        if (ids.length == 0) {
            throw new IllegalArgumentException("ids is empty; give one id per sample");
        }
        ids = ids.clone();
    }

    /** Ids 0 .. n − 1. */
    public static SampleNoise of(long seed, int n) {
        return range(seed, 0, n);
    }

    /** Ids first .. first + n − 1: batch k of size n of a long run is {@code range(seed, k * n, n)}. */
    public static SampleNoise range(long seed, long first, int n) {
        if (n < 1) {
            throw new IllegalArgumentException("n is " + n + "; a batch needs at least one sample");
        }
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = first + i;
        }
        return new SampleNoise(seed, ids);
    }

    @Override
    public long[] ids() {
        return ids.clone();
    }

    /** The number of samples. */
    public int size() {
        return ids.length;
    }

    /** The Philox key of the samplers' draws. */
    public long key() {
        return Seeds.derive(seed, Seeds.Purpose.SAMPLING);
    }

    long[] idsView() {
        return ids;
    }
}
