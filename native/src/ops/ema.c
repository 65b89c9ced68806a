/* ema.c — validation and dispatch of the EMA of weights (see d4j.h). */
#include "../runtime/backend_cuda.h"
#include "../runtime/internal.h"
#include "../core/ema.h"
#include "../runtime/tensor_list.h"

d4j_status d4j_ema_update(d4j_ctx* ctx, d4j_tensor* const* ema, d4j_tensor* const* params, int32_t count, float decay) {
    static const char* fn = "d4j_ema_update";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    if (count < 1) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "count is %d; it must be >= 1", count);
    D4J_TRY(d4j_check_tensor_list(fn, "params", params, count, ctx, NULL, NULL, 0));
    D4J_TRY(d4j_check_tensor_list(fn, "ema", ema, count, ctx, params, "params", 1));
    d4j_tensor* const* lists[2] = {ema, params};
    static const char* const names[2] = {"ema", "params"};
    static const int written[2] = {1, 0};
    D4J_TRY(d4j_check_distinct(fn, 2, lists, names, written, count));
    if (!(decay >= 0.0f && decay <= 1.0f))
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "decay is %g; it must be in [0, 1]", (double)decay);
    if (ctx->device_type == D4J_DEVICE_CUDA) { /* one launch per D4J_TABLE_TENSORS tensors */
        d4j_tensor_table t;
        for (int32_t i = 0; i < count;) {
            i = d4j_table_fill(&t, 2, lists, i, count);
            D4J_TRY(D4J_CUDA(fn, d4j_cuda_ema(fn, ctx->ordinal, ctx->stream, &t, decay)));
        }
        return D4J_OK;
    }
    for (int32_t i = 0; i < count; i++) D4J_CPU_DISPATCH(ema)(ema[i]->data, params[i]->data, params[i]->numel, decay);
    return D4J_OK;
}
