/*
 * context_settings.c — a context's arithmetic settings: the convolution
 * algorithm and the precision of convolution and linear-layer products.
 */
#include "backend_cpu.h"
#include "internal.h"

d4j_status d4j_ctx_set_conv_algo(d4j_ctx* ctx, int32_t algo) {
    static const char* fn = "d4j_ctx_set_conv_algo";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    if (algo < D4J_CONV_AUTO || algo > D4J_CONV_WINOGRAD_4X4)
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT,
                        "algo is %d; it must be AUTO (0), DIRECT (1), WINOGRAD (2), WINOGRAD_2X2 (3) or WINOGRAD_4X4 (4)",
                        algo);
    ctx->conv_algo = algo;
    return D4J_OK;
}

d4j_status d4j_ctx_conv_algo(int32_t* algo, const d4j_ctx* ctx) {
    static const char* fn = "d4j_ctx_conv_algo";
    if (!algo) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "algo is NULL");
    D4J_TRY(d4j_check_ctx(fn, ctx));
    *algo = ctx->conv_algo;
    return D4J_OK;
}

d4j_status d4j_ctx_set_precision(d4j_ctx* ctx, int32_t precision) {
    static const char* fn = "d4j_ctx_set_precision";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    if (precision != D4J_PRECISION_FP32 && precision != D4J_PRECISION_BF16)
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "precision is %d; it must be FP32 (0) or BF16 (1)", precision);
    /* BF16 is refused, never silently run in fp32, where no bf16 kernel exists: the CUDA backend has
     * none yet, and on the CPU only the avx512+bf16 build has them (native/src/cpu/conv2d_bf16.c). */
    if (precision == D4J_PRECISION_BF16 && ctx->device_type == D4J_DEVICE_CUDA)
        return d4j_fail(fn, D4J_ERR_UNSUPPORTED,
                        "BF16 is not implemented on CUDA contexts yet (no bf16 CUDA kernels); CPU contexts on "
                        "an AVX-512 BF16 CPU have it");
    if (precision == D4J_PRECISION_BF16 && d4j_cpu_level() != D4J_CPU_AVX512)
        return d4j_fail(fn, D4J_ERR_UNSUPPORTED,
                        "BF16 needs the avx512+bf16 kernel build (AVX-512 F/BW/VL/DQ and AVX512_BF16); this CPU "
                        "runs the %s build",
                        d4j_cpu_isa());
    ctx->precision = precision;
    return D4J_OK;
}

d4j_status d4j_ctx_precision(int32_t* precision, const d4j_ctx* ctx) {
    static const char* fn = "d4j_ctx_precision";
    if (!precision) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "precision is NULL");
    D4J_TRY(d4j_check_ctx(fn, ctx));
    *precision = ctx->precision;
    return D4J_OK;
}
