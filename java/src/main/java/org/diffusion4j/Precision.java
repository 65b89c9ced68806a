package org.diffusion4j;

/**
 * The arithmetic of a context's convolutions and linear layers ({@link Context#setPrecision}).
 * Weights, gradients, optimizer state and every other op stay float32 in both.
 */
public enum Precision {
    /** float32 products (the default). */
    FP32(0),
    /**
     * Mixed precision: both factors of every convolution and linear-layer product rounded to
     * bfloat16 (round to nearest even), the products summed and written in float32 (on AMX tiles
     * where {@link Device#cpuAmx()}, else VDPBF16PS);
     * weights stay float32 master copies, rounded per call. Runs on the CPU backend's
     * {@code avx512+bf16} kernel build ({@link Device#cpuIsa()}); {@link Context#setPrecision}
     * refuses it with {@link Status#UNSUPPORTED} on CPUs without AVX-512 BF16 (or when
     * {@code D4J_CPU_ISA} lowers the build) and on CUDA contexts, which have no bf16 kernels yet.
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
