package org.diffusion4j;

/**
 * How a context runs 3×3 stride-1 convolutions on the CPU ({@link Context#setConvAlgorithm}):
 * the direct implicit GEMM, or Winograd F(m×m, 3×3) (Lavin &amp; Gray 2016), which does 2.25×
 * (m = 2) or 4× (m = 4) fewer multiplies per output at the cost of input and output transforms and
 * a larger rounding error (F(4×4, 3×3): relative errors of a few 1e-6 where direct has a few
 * 1e-7, at 32–64 channels). Other kernel sizes and strides, and CUDA contexts, always run direct.
 */
public enum ConvAlgorithm {
    /**
     * Per shape, whichever measured faster on this project's CPUs (the default): Winograd
     * F(4×4, 3×3) for 3×3 stride-1 layers of at least 16 input and output channels on maps of at
     * least 7×7, also where its tiles overhang the map (14×14, 7×7); direct elsewhere.
     */
    AUTO(0),
    /** The direct implicit-GEMM convolution everywhere. */
    DIRECT(1),
    /** Winograd wherever it applies, with the tile {@link #AUTO} picks (F(4×4, 3×3)). */
    WINOGRAD(2),
    /** Winograd F(2×2, 3×3) wherever it applies. */
    WINOGRAD_2X2(3),
    /** Winograd F(4×4, 3×3) wherever it applies. */
    WINOGRAD_4X4(4);

    final int code;

    ConvAlgorithm(int code) {
        this.code = code;
    }

    static ConvAlgorithm of(int code) {
        for (ConvAlgorithm a : values()) {
            if (a.code == code) {
                return a;
            }
        }
        throw new IllegalStateException("unknown convolution algorithm code " + code);
    }
}
