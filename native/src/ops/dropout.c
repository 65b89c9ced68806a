/* dropout.c — validation and dispatch of dropout forward and backward (see d4j.h). */
#include <math.h>

#include "../runtime/backend_cuda.h"
#include "../core/dropout.h"
#include "../runtime/internal.h"
#include "../core/philox.h"

static d4j_status check_p(const char* fn, float p) {
    if (!(p >= 0.0f && p < 1.0f))
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "p is %g; the drop probability must be in [0, 1)", (double)p);
    return D4J_OK;
}

static d4j_status run(const char* fn, d4j_ctx* ctx, float* out, const float* in, int64_t n, float p, uint64_t seed,
                      uint64_t offset) {
    float scale = 1.0f / (1.0f - p);
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_dropout(fn, ctx->ordinal, ctx->stream, out, in, n, p, scale, seed, offset));
    D4J_CPU_DISPATCH(dropout)(out, in, n, p, scale, seed, offset);
    return D4J_OK;
}

d4j_status d4j_dropout_forward(d4j_ctx* ctx, d4j_tensor* y, uint64_t* mask_seed, uint64_t* mask_offset,
                               const d4j_tensor* x, float p) {
    static const char* fn = "d4j_dropout_forward";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "y", y, ctx));
    D4J_TRY(d4j_check_tensor(fn, "x", x, ctx));
    D4J_TRY(d4j_check_same_shape(fn, "y", y, "x", x));
    D4J_TRY(check_p(fn, p));
    if (!mask_seed || !mask_offset) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "mask_seed and mask_offset must be non-NULL");
    uint64_t offset = d4j_ctx_take_blocks(ctx, d4j_philox_blocks(x->numel));
    *mask_seed = ctx->seed;
    *mask_offset = offset;
    return run(fn, ctx, y->data, x->data, x->numel, p, ctx->seed, offset);
}

d4j_status d4j_dropout_backward(d4j_ctx* ctx, d4j_tensor* dx, const d4j_tensor* dy, float p, uint64_t mask_seed,
                                uint64_t mask_offset) {
    static const char* fn = "d4j_dropout_backward";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "dx", dx, ctx));
    D4J_TRY(d4j_check_tensor(fn, "dy", dy, ctx));
    D4J_TRY(d4j_check_same_shape(fn, "dx", dx, "dy", dy));
    D4J_TRY(check_p(fn, p));
    return run(fn, ctx, dx->data, dy->data, dy->numel, p, mask_seed, mask_offset);
}
