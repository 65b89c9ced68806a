/* keyed_noise.c — validation and dispatch of the per-sample keyed noise (see d4j.h). */
#include <math.h>

#include "../runtime/backend_cuda.h"
#include "../runtime/internal.h"
#include "../core/keyed_noise.h"
#include "../core/philox.h"

d4j_status d4j_check_keyed_ids(const char* fn, const char* name, const d4j_tensor* t, const int64_t* ids) {
    if (!ids)
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "ids is NULL; it must hold one id per sample of %s (%lld)", name,
                        (long long)t->shape[0]);
    int64_t per_sample = t->numel / t->shape[0];
    if ((uint64_t)(per_sample + 3) / 4 > D4J_KEYED_MAX_BLOCKS)
        return d4j_fail(fn, D4J_ERR_SHAPE, "%s has %lld elements per sample; keyed noise allows at most 2^34", name,
                        (long long)per_sample);
    return D4J_OK;
}

d4j_status d4j_keyed_noise(d4j_ctx* ctx, d4j_tensor* out, const d4j_tensor* x, float a, float b, uint64_t key,
                           uint32_t stream, const int64_t* ids) {
    static const char* fn = "d4j_keyed_noise";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "out", out, ctx));
    if (x) {
        D4J_TRY(d4j_check_tensor(fn, "x", x, ctx));
        D4J_TRY(d4j_check_same_shape(fn, "x", x, "out", out));
    }
    if (!isfinite(a) || !isfinite(b))
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "a is %g and b is %g; both must be finite", (double)a, (double)b);
    D4J_TRY(d4j_check_keyed_ids(fn, "out", out, ids));
    int64_t batch = out->shape[0], per_sample = out->numel / batch;
    const float* xd = x ? x->data : NULL;
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_keyed_noise(fn, ctx->ordinal, ctx->stream, out->data, xd, a, b, batch,
                                                 per_sample, key, stream, ids));
    D4J_CPU_DISPATCH(keyed_noise)(out->data, xd, a, b, batch, per_sample, key, stream, ids);
    return D4J_OK;
}
