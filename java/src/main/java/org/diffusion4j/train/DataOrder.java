package org.diffusion4j.train;

import java.util.SplittableRandom;
import org.diffusion4j.Seeds;

/**
 * The order in which a training run visits a data set: epoch after epoch, each a permutation of
 * the indices drawn (Fisher–Yates) from a key derived from the seed and the epoch. The k-th image
 * of the whole run is a function of (seed, k, size) only, so a resumed run continues the order
 * exactly. Every image is seen once per epoch, unlike draws with replacement.
 */
final class DataOrder {
    private final long key;
    private final int size;
    private long epoch = -1;
    private int[] perm;

    DataOrder(long seed, int size) {
        if (size < 1) {
            throw new IllegalArgumentException("the data set is empty");
        }
        this.key = Seeds.derive(seed, Seeds.Purpose.DATA_ORDER);
        this.size = size;
    }

    /** The data index of the run's k-th image. */
    int index(long k) {
        long e = k / size;
        if (e != epoch) {
            perm = permutation(e);
            epoch = e;
        }
        return perm[(int) (k % size)];
    }

    private int[] permutation(long e) {
        int[] p = new int[size];
        for (int i = 0; i < size; i++) {
            p[i] = i;
        }
        SplittableRandom r = new SplittableRandom(key ^ (e * 0x9E3779B97F4A7C15L));
        for (int i = size - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int tmp = p[i];
            p[i] = p[j];
            p[j] = tmp;
        }
        return p;
    }
}
