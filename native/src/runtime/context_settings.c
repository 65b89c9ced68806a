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
    /* Refused, not silently run in fp32, until the AVX-512 BF16 build has bf16 kernels (issue 17). */
    if (precision == D4J_PRECISION_BF16)
        return d4j_fail(fn, D4J_ERR_UNSUPPORTED, "BF16 is not implemented yet (this CPU runs the %s build)",
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
