package org.diffusion4j.testing;

/**
 * An independent Java Philox4x32-10 (Salmon et al., SC'11) and the library's keyed per-sample
 * noise computed from it in float64, as the reference the native keyed noise and sampler
 * step are checked against: element j of the sample with id {@code id} is normal j mod 4 of the
 * block with counter (j/4, stream, low word of id, high word of id) under key, Box-Muller on
 * the words (x0, x1) and (x2, x3) with u1 = (top 24 bits + 1)·2^-24, u2 = top 24 bits·2^-24.
 */
public final class Philox {
    private static final long M0 = 0xD2511F53L;
    private static final long M1 = 0xCD9E8D57L;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;

    private Philox() {}

    /** The four output words of counter c under key (k0, k1). */
    public static int[] block(int[] c, int k0, int k1) {
        int x0 = c[0];
        int x1 = c[1];
        int x2 = c[2];
        int x3 = c[3];
        for (int round = 0; round < 10; round++) {
            long p0 = M0 * (x0 & 0xFFFFFFFFL);
            long p1 = M1 * (x2 & 0xFFFFFFFFL);
            int y0 = (int) (p1 >>> 32) ^ x1 ^ k0;
            int y2 = (int) (p0 >>> 32) ^ x3 ^ k1;
            x1 = (int) p1;
            x3 = (int) p0;
            x0 = y0;
            x2 = y2;
            k0 += W0;
            k1 += W1;
        }
        return new int[] {x0, x1, x2, x3};
    }

    /** z_j of the sample with this id under (key, stream), in float64. */
    public static double keyedNormal(long key, int stream, long id, long j) {
        int[] x = block(new int[] {(int) (j / 4), stream, (int) id, (int) (id >>> 32)}, (int) key, (int) (key >>> 32));
        int pair = (int) (j % 4) / 2;
        double u1 = ((x[2 * pair] >>> 8) + 1.0) / 16777216.0;
        double u2 = (x[2 * pair + 1] >>> 8) / 16777216.0;
        double r = Math.sqrt(-2.0 * Math.log(u1));
        return j % 2 == 0 ? r * Math.cos(2 * Math.PI * u2) : r * Math.sin(2 * Math.PI * u2);
    }

    /** The keyed noise of a whole batch: ids.length samples of perSample elements. */
    public static double[] keyedNoise(long key, int stream, long[] ids, int perSample) {
        double[] z = new double[ids.length * perSample];
        for (int n = 0; n < ids.length; n++) {
            for (int j = 0; j < perSample; j++) {
                z[n * perSample + j] = keyedNormal(key, stream, ids[n], j);
            }
        }
        return z;
    }
}
