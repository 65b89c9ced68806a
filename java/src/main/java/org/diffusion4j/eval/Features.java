package org.diffusion4j.eval;

/** Checks shared by the feature-space metrics. */
final class Features {
    private Features() {}

    /**
     * The common row length D of {@code rows}, a feature set of N rows (named {@code what} in
     * messages).
     *
     * @throws IllegalArgumentException on an empty set, empty or ragged rows, or non-finite values
     */
    static int checkRows(float[][] rows, String what) {
        if (rows == null) {
            throw new NullPointerException(what);
        }
        if (rows.length == 0) {
            throw new IllegalArgumentException(what + " has no rows");
        }
        if (rows[0] == null || rows[0].length == 0) {
            throw new IllegalArgumentException(what + " row 0 is empty");
        }
        int d = rows[0].length;
        for (int i = 0; i < rows.length; i++) {
            float[] r = rows[i];
            if (r == null || r.length != d) {
                throw new IllegalArgumentException(what + " row " + i + " has " + (r == null ? "no" : r.length)
                        + " entries; row 0 has " + d);
            }
            for (int j = 0; j < d; j++) {
                if (!Float.isFinite(r[j])) {
                    throw new IllegalArgumentException(what + " row " + i + " entry " + j + " is " + r[j]);
                }
            }
        }
        return d;
    }
}
