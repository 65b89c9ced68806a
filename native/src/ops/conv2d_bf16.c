/*
 * conv2d_bf16.c — the bf16 mixed-precision convolution's front door, reached
 * from the d4j_conv2d_run_* functions of conv2d.c (and so from linear layers)
 * when a CPU context's precision is D4J_PRECISION_BF16. The callers have
 * validated the shapes. The kernels exist only in the AVX-512 build;
 * d4j_ctx_set_precision accepts BF16 only where that build runs, and the check
 * here keeps a context from reaching an instruction its CPU lacks even if that
 * ever changed. Where AMX tiles are granted (d4j_cpu_amx()) the AMX kernels of
 * cpu/conv2d_amx.c run instead of the VDPBF16PS ones of cpu/conv2d_bf16.c.
 */
#include "../core/conv2d_bf16.h"
#include "../runtime/internal.h"

static d4j_status avx512_runs(const char* fn) {
    if (d4j_cpu_level() == D4J_CPU_AVX512) return D4J_OK;
    return d4j_fail(fn, D4J_ERR_UNSUPPORTED, "precision BF16 needs the avx512+bf16 kernel build; this CPU runs %s",
                    d4j_cpu_isa());
}

d4j_status d4j_conv2d_bf16_run_forward(const char* fn, float* y, const float* x, const float* w, const float* bias,
                                       const d4j_conv_shape* s) {
    D4J_TRY(avx512_runs(fn));
    int rc = d4j_cpu_amx() ? d4j_cpu_conv2d_amx_forward_avx512(y, x, w, bias, s)
                           : d4j_cpu_conv2d_bf16_forward_avx512(y, x, w, bias, s);
    return rc ? d4j_no_scratch(fn) : D4J_OK;
}

d4j_status d4j_conv2d_bf16_run_backward_data(const char* fn, float* dx, const float* dy, const float* w,
                                             const d4j_conv_shape* s) {
    D4J_TRY(avx512_runs(fn));
    int rc = d4j_cpu_amx() ? d4j_cpu_conv2d_amx_backward_data_avx512(dx, dy, w, s)
                           : d4j_cpu_conv2d_bf16_backward_data_avx512(dx, dy, w, s);
    return rc ? d4j_no_scratch(fn) : D4J_OK;
}

d4j_status d4j_conv2d_bf16_run_backward_weights(const char* fn, float* dw, float* dbias, const float* dy,
                                                const float* x, const d4j_conv_shape* s) {
    D4J_TRY(avx512_runs(fn));
    int rc = d4j_cpu_amx() ? d4j_cpu_conv2d_amx_backward_weights_avx512(dw, dbias, dy, x, s)
                           : d4j_cpu_conv2d_bf16_backward_weights_avx512(dw, dbias, dy, x, s);
    return rc ? d4j_no_scratch(fn) : D4J_OK;
}
