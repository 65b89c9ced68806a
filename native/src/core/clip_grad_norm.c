/* clip_grad_norm.c — validation and dispatch of global-norm gradient clipping (see d4j.h). */
#include <math.h>

#include "backend_cuda.h"
#include "internal.h"
#include "optimizer.h"

d4j_status d4j_clip_grad_norm(d4j_ctx* ctx, d4j_tensor* norm, d4j_tensor* const* grads, int32_t count,
                              float max_norm) {
    static const char* fn = "d4j_clip_grad_norm";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_tensor(fn, "norm", norm, ctx));
    if (norm->numel != 1) {
        char b[96];
        return d4j_fail(fn, D4J_ERR_SHAPE, "norm has shape %s; it must hold one element",
                        d4j_shape_str(b, sizeof b, norm->shape, norm->ndim));
    }
    if (count < 1) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "count is %d; it must be >= 1", count);
    D4J_TRY(d4j_check_tensor_list(fn, "grads", grads, count, ctx, NULL, NULL));
    for (int32_t i = 0; i < count; i++)
        if (grads[i] == norm) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "grads[%d] is the norm tensor", i);
    static const char* const names[1] = {"grads"};
    static const int written[1] = {1};
    D4J_TRY(d4j_check_distinct(fn, 1, &grads, names, written, count));
    if (!(max_norm > 0.0f) || !isfinite(max_norm))
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "max_norm is %g; it must be finite and > 0", (double)max_norm);
    if (ctx->device_type == D4J_DEVICE_CUDA) {
        /* no host round trip: the sum, the norm and the factor stay on the device */
        size_t bytes = d4j_alloc_round(sizeof(float));
        void* sumsq = NULL;
        D4J_TRY(d4j_alloc(fn, &ctx->alloc, bytes, &sumsq));
        d4j_status st = D4J_CUDA(fn, d4j_cuda_clip_finish(fn, ctx->ordinal, ctx->stream, NULL, (float*)sumsq));
        for (int32_t i = 0; st == D4J_OK && i < count; i++)
            st = D4J_CUDA(fn, d4j_cuda_sum_squares(fn, ctx->ordinal, ctx->stream, (float*)sumsq, grads[i]->data,
                                                   grads[i]->numel));
        if (st == D4J_OK) st = D4J_CUDA(fn, d4j_cuda_clip_finish(fn, ctx->ordinal, ctx->stream, norm->data, (float*)sumsq));
        for (int32_t i = 0; st == D4J_OK && i < count; i++)
            st = D4J_CUDA(fn, d4j_cuda_clip_scale(fn, ctx->ordinal, ctx->stream, grads[i]->data, grads[i]->numel,
                                                  norm->data, max_norm));
        d4j_release(&ctx->alloc, sumsq, bytes);
        return st;
    }
    double sum = 0.0;
    for (int32_t i = 0; i < count; i++) sum += D4J_CPU_DISPATCH(sum_squares)(grads[i]->data, grads[i]->numel);
    double total = sqrt(sum);
    norm->data[0] = (float)total;
    double coef = (double)max_norm / (total + 1e-6); /* PyTorch's clip_grad_norm_ */
    if (coef < 1.0)
        for (int32_t i = 0; i < count; i++) D4J_CPU_DISPATCH(scale)(grads[i]->data, grads[i]->numel, (float)coef);
    return D4J_OK;
}
