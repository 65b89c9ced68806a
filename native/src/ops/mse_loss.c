/* mse_loss.c — validation and dispatch of the (per-sample weighted) mean-squared-error loss (see d4j.h). */
#include <math.h>

#include "../runtime/backend_cuda.h"
#include "../runtime/internal.h"
#include "../core/mse_loss.h"

d4j_status d4j_mse_loss(d4j_ctx* ctx, d4j_tensor* loss, d4j_tensor* dpred, const d4j_tensor* pred,
                        const d4j_tensor* target, const float* weights) {
    static const char* fn = "d4j_mse_loss";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "loss", loss, ctx));
    D4J_TRY(d4j_check_tensor(fn, "pred", pred, ctx));
    D4J_TRY(d4j_check_tensor(fn, "target", target, ctx));
    D4J_TRY(d4j_check_same_shape(fn, "pred", pred, "target", target));
    if (loss->numel != 1) {
        char b[96];
        return d4j_fail(fn, D4J_ERR_SHAPE, "loss has shape %s; it must hold one element",
                        d4j_shape_str(b, sizeof b, loss->shape, loss->ndim));
    }
    if (dpred) {
        D4J_TRY(d4j_check_output(fn, "dpred", dpred, ctx));
        D4J_TRY(d4j_check_same_shape(fn, "dpred", dpred, "pred", pred));
        if (dpred == loss) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "dpred must not be loss");
    }
    if (loss == pred || loss == target) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "loss must not alias an input");
    int64_t batch = pred->shape[0], per_sample = pred->numel / batch;
    for (int64_t n = 0; weights && n < batch; n++)
        if (!isfinite(weights[n]) || weights[n] < 0.0f)
            return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "weights[%lld] is %g; it must be finite and >= 0",
                            (long long)n, (double)weights[n]);
    float* dp = dpred ? dpred->data : NULL;
    if (ctx->device_type == D4J_DEVICE_CUDA) {
        /* scratch from the caching allocator: same stream, so releasing it right after the
         * launches is safe (the next user of the block is queued behind them) */
        size_t bytes = d4j_alloc_round(D4J_CUDA_MSE_BLOCKS * sizeof(double));
        void* scratch = NULL;
        D4J_TRY(d4j_alloc(fn, &ctx->alloc, bytes, &scratch));
        d4j_status st = D4J_CUDA(fn, d4j_cuda_mse_loss(fn, ctx->ordinal, ctx->stream, loss->data, dp, pred->data,
                                                        target->data, weights, batch, per_sample, (double*)scratch));
        d4j_release(&ctx->alloc, scratch, bytes);
        return st;
    }
    D4J_CPU_DISPATCH(mse_loss)(loss->data, dp, pred->data, target->data, weights, batch, per_sample);
    return D4J_OK;
}
