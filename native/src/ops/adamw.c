/* adamw.c — validation and dispatch of the multi-tensor AdamW step (see d4j.h). */
#include <math.h>

#include "../runtime/backend_cuda.h"
#include "../runtime/internal.h"
#include "../core/adamw.h"
#include "../runtime/tensor_list.h"

d4j_status d4j_adamw_step(d4j_ctx* ctx, d4j_tensor* const* params, d4j_tensor* const* m, d4j_tensor* const* v,
                          d4j_tensor* const* grads, int32_t count, float lr, float beta1, float beta2, float eps,
                          float weight_decay, int64_t step) {
    static const char* fn = "d4j_adamw_step";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    if (count < 1) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "count is %d; it must be >= 1", count);
    D4J_TRY(d4j_check_tensor_list(fn, "params", params, count, ctx, NULL, NULL, 1));
    D4J_TRY(d4j_check_tensor_list(fn, "grads", grads, count, ctx, params, "params", 0));
    D4J_TRY(d4j_check_tensor_list(fn, "m", m, count, ctx, params, "params", 1));
    D4J_TRY(d4j_check_tensor_list(fn, "v", v, count, ctx, params, "params", 1));
    d4j_tensor* const* lists[4] = {params, m, v, grads};
    static const char* const names[4] = {"params", "m", "v", "grads"};
    static const int written[4] = {1, 1, 1, 0};
    D4J_TRY(d4j_check_distinct(fn, 4, lists, names, written, count));
    if (!(lr >= 0.0f) || !isfinite(lr))
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "lr is %g; it must be finite and >= 0", (double)lr);
    if (!(beta1 >= 0.0f && beta1 < 1.0f))
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "beta1 is %g; it must be in [0, 1)", (double)beta1);
    if (!(beta2 >= 0.0f && beta2 < 1.0f))
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "beta2 is %g; it must be in [0, 1)", (double)beta2);
    if (!(eps > 0.0f) || !isfinite(eps))
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "eps is %g; it must be finite and > 0", (double)eps);
    if (!(weight_decay >= 0.0f) || !isfinite(weight_decay))
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "weight_decay is %g; it must be finite and >= 0",
                        (double)weight_decay);
    if (step < 1) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "step is %lld; steps count from 1", (long long)step);
    d4j_adamw_step_params h = {lr, beta1, beta2, eps, weight_decay, 0.0f, 0.0f};
    h.step_size = (float)((double)lr / (1.0 - pow((double)beta1, (double)step)));
    h.bias2_sqrt_inv = (float)(1.0 / sqrt(1.0 - pow((double)beta2, (double)step)));
    if (ctx->device_type == D4J_DEVICE_CUDA) { /* one launch per D4J_TABLE_TENSORS tensors */
        d4j_tensor_table t;
        for (int32_t i = 0; i < count;) {
            i = d4j_table_fill(&t, 4, lists, i, count);
            D4J_TRY(D4J_CUDA(fn, d4j_cuda_adamw(fn, ctx->ordinal, ctx->stream, &t, &h)));
        }
        return D4J_OK;
    }
    for (int32_t i = 0; i < count; i++)
        D4J_CPU_DISPATCH(adamw)(params[i]->data, m[i]->data, v[i]->data, grads[i]->data, params[i]->numel, &h);
    return D4J_OK;
}
