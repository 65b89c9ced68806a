package org.diffusion4j;

/**
 * How a context runs 3×3 stride-1 convolutions on the CPU ({@link Context#setConvAlgorithm}).
 * Other kernel sizes and strides, and CUDA contexts, always run the direct convolution. The
 * Winograd kernel is not implemented yet: {@link #AUTO} runs direct and {@link #WINOGRAD} is refused.
 */
public enum ConvAlgorithm {
    /** Per shape, whichever of direct and Winograd is faster on this CPU (the default). */
    AUTO(0),
    /** The direct implicit-GEMM convolution everywhere. */
    DIRECT(1),
    /** Winograd F(m×m, 3×3) wherever it applies (Lavin &amp; Gray 2016). */
    WINOGRAD(2);

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
