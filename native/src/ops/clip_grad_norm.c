/* clip_grad_norm.c — validation and dispatch of global-norm gradient clipping (see d4j.h). */
#include <math.h>

#include "../runtime/backend_cuda.h"
#include "../runtime/internal.h"
#include "../core/clip_grad_norm.h"
#include "../runtime/tensor_list.h"

#ifdef D4J_WITH_CUDA
/* On CUDA nothing comes back to the host: per-block float64 partials of Σg² (one table of
 * tensors per launch), then one block sums them in a fixed order into the norm and the
 * clipping coefficient, which the scaling launches read from device memory. */
static d4j_status clip_cuda(const char* fn, d4j_ctx* ctx, d4j_tensor* norm, d4j_tensor* const* grads, int32_t count,
                            float max_norm) {
    int32_t tables = (count + D4J_TABLE_TENSORS - 1) / D4J_TABLE_TENSORS;
    size_t bytes = d4j_alloc_round((size_t)tables * D4J_CUDA_TABLE_BLOCKS * sizeof(double) + sizeof(double));
    void* scratch = NULL;
    D4J_TRY(d4j_alloc(fn, &ctx->alloc, bytes, &scratch));
    double* partials = (double*)scratch;
    float* coef = (float*)(partials + (size_t)tables * D4J_CUDA_TABLE_BLOCKS);
    d4j_tensor_table t;
    d4j_status st = D4J_OK;
    int64_t used = 0;
    for (int32_t i = 0; st == D4J_OK && i < count;) {
        int blocks = 0;
        i = d4j_table_fill(&t, 1, &grads, i, count);
        st = d4j_cuda_sum_squares(fn, ctx->ordinal, ctx->stream, partials + used, &blocks, &t);
        used += blocks;
    }
    if (st == D4J_OK)
        st = d4j_cuda_clip_finish(fn, ctx->ordinal, ctx->stream, norm->data, coef, partials, used, max_norm);
    for (int32_t i = 0; st == D4J_OK && i < count;) {
        i = d4j_table_fill(&t, 1, &grads, i, count);
        st = d4j_cuda_clip_scale(fn, ctx->ordinal, ctx->stream, &t, coef);
    }
    d4j_release(&ctx->alloc, scratch, bytes); /* stream-ordered: the next user queues behind */
    return st;
}
#endif

d4j_status d4j_clip_grad_norm(d4j_ctx* ctx, d4j_tensor* norm, d4j_tensor* const* grads, int32_t count,
                              float max_norm) {
    static const char* fn = "d4j_clip_grad_norm";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "norm", norm, ctx));
    if (norm->numel != 1) {
        char b[96];
        return d4j_fail(fn, D4J_ERR_SHAPE, "norm has shape %s; it must hold one element",
                        d4j_shape_str(b, sizeof b, norm->shape, norm->ndim));
    }
    if (count < 1) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "count is %d; it must be >= 1", count);
    D4J_TRY(d4j_check_tensor_list(fn, "grads", grads, count, ctx, NULL, NULL, 1));
    for (int32_t i = 0; i < count; i++)
        if (grads[i] == norm) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "grads[%d] is the norm tensor", i);
    static const char* const names[1] = {"grads"};
    static const int written[1] = {1};
    D4J_TRY(d4j_check_distinct(fn, 1, &grads, names, written, count));
    if (!(max_norm > 0.0f) || !isfinite(max_norm))
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "max_norm is %g; it must be finite and > 0", (double)max_norm);
    if (ctx->device_type == D4J_DEVICE_CUDA) return D4J_CUDA(fn, clip_cuda(fn, ctx, norm, grads, count, max_norm));
    double sum = 0.0;
    for (int32_t i = 0; i < count; i++) sum += D4J_CPU_DISPATCH(sum_squares)(grads[i]->data, grads[i]->numel);
    double total = sqrt(sum);
    norm->data[0] = (float)total;
    double coef = (double)max_norm / (total + 1e-6); /* PyTorch's clip_grad_norm_ */
    if (coef < 1.0)
        for (int32_t i = 0; i < count; i++) D4J_CPU_DISPATCH(scale)(grads[i]->data, grads[i]->numel, (float)coef);
    return D4J_OK;
}
