/* axpby.c — validation and dispatch of out = a[n]·x + b[n]·y per sample (see d4j.h). */
#include <math.h>

#include "../core/axpby.h"
#include "../runtime/backend_cuda.h"
#include "../runtime/internal.h"

d4j_status d4j_axpby(d4j_ctx* ctx, d4j_tensor* out, const d4j_tensor* x, const d4j_tensor* y, const float* a,
                     const float* b) {
    static const char* fn = "d4j_axpby";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "out", out, ctx));
    D4J_TRY(d4j_check_tensor(fn, "x", x, ctx));
    D4J_TRY(d4j_check_same_shape(fn, "x", x, "out", out));
    if (y) {
        D4J_TRY(d4j_check_tensor(fn, "y", y, ctx));
        D4J_TRY(d4j_check_same_shape(fn, "y", y, "out", out));
    }
    int64_t batch = out->shape[0], per_sample = out->numel / batch;
    if (!a) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "a is NULL; it must hold %lld floats", (long long)batch);
    if (y && !b) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "b is NULL; it must hold %lld floats", (long long)batch);
    for (int64_t n = 0; n < batch; n++) {
        if (!isfinite(a[n]))
            return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "a[%lld] is %g; it must be finite", (long long)n, (double)a[n]);
        if (y && !isfinite(b[n]))
            return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "b[%lld] is %g; it must be finite", (long long)n, (double)b[n]);
    }
    const float* yd = y ? y->data : NULL;
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_axpby(fn, ctx->ordinal, ctx->stream, out->data, x->data, yd, a, b, batch,
                                           per_sample));
    D4J_CPU_DISPATCH(axpby)(out->data, x->data, yd, a, b, batch, per_sample);
    return D4J_OK;
}
