package org.diffusion4j;

/**
 * The arithmetic of a context's convolutions and linear layers ({@link Context#setPrecision}).
 * Weights, gradients, optimizer state and every other op stay float32 in both.
 */
public enum Precision {
    /** float32 products (the default). */
    FP32(0),
    /**
     * Mixed precision: inputs rounded to bfloat16, products accumulated and written in float32.
     * Will need the CPU backend's AVX-512 BF16 build; not implemented yet, so
     * {@link Context#setPrecision} refuses it.
     */
    BF16(1);

    final int code;

    Precision(int code) {
        this.code = code;
    }

    static Precision of(int code) {
        for (Precision p : values()) {
            if (p.code == code) {
                return p;
            }
        }
        throw new IllegalStateException("unknown precision code " + code);
    }
}
