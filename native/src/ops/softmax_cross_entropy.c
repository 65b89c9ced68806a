/* softmax_cross_entropy.c — validation and dispatch of the softmax cross-entropy loss (see d4j.h). */
#include "../runtime/backend_cuda.h"
#include "../runtime/internal.h"
#include "../core/softmax_cross_entropy.h"

d4j_status d4j_softmax_cross_entropy(d4j_ctx* ctx, d4j_tensor* loss, d4j_tensor* dlogits, const d4j_tensor* logits,
                                     const int32_t* labels) {
    static const char* fn = "d4j_softmax_cross_entropy";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "loss", loss, ctx));
    D4J_TRY(d4j_check_tensor(fn, "logits", logits, ctx));
    char b[96];
    if (logits->ndim != 2)
        return d4j_fail(fn, D4J_ERR_SHAPE, "logits has shape %s; it must be (N, K)",
                        d4j_shape_str(b, sizeof b, logits->shape, logits->ndim));
    if (loss->numel != 1)
        return d4j_fail(fn, D4J_ERR_SHAPE, "loss has shape %s; it must hold one element",
                        d4j_shape_str(b, sizeof b, loss->shape, loss->ndim));
    if (loss == logits) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "loss must not be logits");
    if (dlogits) {
        D4J_TRY(d4j_check_output(fn, "dlogits", dlogits, ctx));
        D4J_TRY(d4j_check_same_shape(fn, "dlogits", dlogits, "logits", logits));
        if (dlogits == loss) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "dlogits must not be loss");
    }
    if (!labels) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "labels is NULL");
    int64_t n = logits->shape[0], k = logits->shape[1];
    for (int64_t i = 0; i < n; i++)
        if (labels[i] < 0 || labels[i] >= k)
            return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "labels[%lld] is %d; it must be in [0, %lld) (K = %lld classes)",
                            (long long)i, (int)labels[i], (long long)k, (long long)k);
    float* d = dlogits ? dlogits->data : NULL;
    if (ctx->device_type == D4J_DEVICE_CUDA) {
        /* the float64 accumulator from the caching allocator: same stream, so releasing it
         * right after the launches is safe (the next user of the block is queued behind them) */
        size_t bytes = d4j_alloc_round(sizeof(double));
        void* scratch = NULL;
        D4J_TRY(d4j_alloc(fn, &ctx->alloc, bytes, &scratch));
        d4j_status st = D4J_CUDA(fn, d4j_cuda_softmax_cross_entropy(fn, ctx->ordinal, ctx->stream, loss->data, d,
                                                                     logits->data, labels, n, k, (double*)scratch));
        d4j_release(&ctx->alloc, scratch, bytes);
        return st;
    }
    D4J_CPU_DISPATCH(softmax_cross_entropy)(loss->data, d, logits->data, labels, n, k);
    return D4J_OK;
}
