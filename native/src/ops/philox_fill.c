/* philox_fill.c — d4j_philox4x32_10 and the Philox normal and uniform fills from the context's (seed, offset). */
#include <math.h>

#include "../core/philox_fill.h"
#include "../runtime/backend_cuda.h"
#include "../runtime/internal.h"
#include "../core/philox.h"

d4j_status d4j_philox4x32_10(uint32_t* out, const uint32_t* counter, const uint32_t* key) {
    if (!out || !counter || !key)
        return d4j_fail("d4j_philox4x32_10", D4J_ERR_INVALID_ARGUMENT, "out, counter and key must be non-NULL");
    uint32_t x[4] = {counter[0], counter[1], counter[2], counter[3]};
    d4j_philox4x32_10_block(x, key[0], key[1]);
    for (int i = 0; i < 4; i++) out[i] = x[i];
    return D4J_OK;
}

d4j_status d4j_fill_normal(d4j_ctx* ctx, d4j_tensor* dst, float mean, float std) {
    static const char* fn = "d4j_fill_normal";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "dst", dst, ctx));
    if (!isfinite(mean) || !isfinite(std) || std < 0.0f)
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "mean %g and std %g must be finite with std >= 0",
                        (double)mean, (double)std);
    uint64_t offset = d4j_ctx_take_blocks(ctx, d4j_philox_blocks(dst->numel));
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_fill_normal(fn, ctx->ordinal, ctx->stream, dst->data, dst->numel, mean, std,
                                                 ctx->seed, offset));
    D4J_CPU_DISPATCH(fill_normal)(dst->data, dst->numel, mean, std, ctx->seed, offset);
    return D4J_OK;
}

d4j_status d4j_fill_uniform(d4j_ctx* ctx, d4j_tensor* dst, float low, float high) {
    static const char* fn = "d4j_fill_uniform";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "dst", dst, ctx));
    float span = high - low;
    if (!isfinite(low) || !isfinite(high) || !(low < high) || !isfinite(span))
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "low %g and high %g must be finite with low < high",
                        (double)low, (double)high);
    uint64_t offset = d4j_ctx_take_blocks(ctx, d4j_philox_blocks(dst->numel));
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_fill_uniform(fn, ctx->ordinal, ctx->stream, dst->data, dst->numel, low,
                                                  span, ctx->seed, offset));
    D4J_CPU_DISPATCH(fill_uniform)(dst->data, dst->numel, low, span, ctx->seed, offset);
    return D4J_OK;
}
