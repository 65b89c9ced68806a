/*
 * q_sample.c — validation and dispatch of the fused forward-process sample
 * (see d4j.h). Timesteps and tables stay on the host: they are checked here,
 * turned into one coefficient pair per sample, and handed to the backend.
 */
#include <math.h>
#include <stdlib.h>

#include "../core/q_sample.h"
#include "../runtime/backend_cuda.h"
#include "../runtime/internal.h"
#include "../core/philox.h"

d4j_status d4j_q_sample(d4j_ctx* ctx, d4j_tensor* x_t, d4j_tensor* eps, const d4j_tensor* x_0,
                        const int32_t* t, const float* sqrt_alpha_bar,
                        const float* sqrt_one_minus_alpha_bar, int64_t batch, int64_t timesteps) {
    static const char* fn = "d4j_q_sample";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "x_t", x_t, ctx));
    D4J_TRY(d4j_check_output(fn, "eps", eps, ctx));
    D4J_TRY(d4j_check_tensor(fn, "x_0", x_0, ctx));
    D4J_TRY(d4j_check_same_shape(fn, "x_t", x_t, "x_0", x_0));
    D4J_TRY(d4j_check_same_shape(fn, "eps", eps, "x_0", x_0));
    if (x_t == eps || x_t == x_0 || eps == x_0)
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "x_t, eps and x_0 must be three distinct tensors");
    if (!t || !sqrt_alpha_bar || !sqrt_one_minus_alpha_bar)
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "t and both coefficient tables must be non-NULL");
    if (batch != x_0->shape[0])
        return d4j_fail(fn, D4J_ERR_SHAPE, "batch is %lld but x_0 has %lld samples (dimension 0)",
                        (long long)batch, (long long)x_0->shape[0]);
    if (timesteps < 1 || timesteps > INT32_MAX)
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "timesteps is %lld; it must be 1 to 2^31-1",
                        (long long)timesteps);
    for (int64_t n = 0; n < batch; n++) {
        if (t[n] < 0 || t[n] >= timesteps)
            return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "t[%lld] is %d; timesteps must be in [0, %lld)",
                            (long long)n, t[n], (long long)timesteps);
        float a = sqrt_alpha_bar[t[n]], b = sqrt_one_minus_alpha_bar[t[n]];
        if (!isfinite(a) || !isfinite(b))
            return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "coefficients at t = %d are not finite (%g, %g)", t[n],
                            (double)a, (double)b);
    }
    float* coef = malloc((size_t)batch * 2 * sizeof(float));
    if (!coef) return d4j_fail(fn, D4J_ERR_OUT_OF_MEMORY, "cannot allocate %lld coefficients", (long long)batch);
    float* a = coef;
    float* b = coef + batch;
    for (int64_t n = 0; n < batch; n++) {
        a[n] = sqrt_alpha_bar[t[n]];
        b[n] = sqrt_one_minus_alpha_bar[t[n]];
    }
    int64_t per_sample = x_0->numel / batch;
    uint64_t offset = d4j_ctx_take_blocks(ctx, d4j_philox_blocks(x_0->numel));
    d4j_status st = D4J_OK;
    if (ctx->device_type == D4J_DEVICE_CUDA)
        st = D4J_CUDA(fn, d4j_cuda_q_sample(fn, ctx->ordinal, ctx->stream, x_t->data, eps->data, x_0->data, a, b,
                                            batch, per_sample, ctx->seed, offset));
    else
        D4J_CPU_DISPATCH(q_sample)(x_t->data, eps->data, x_0->data, a, b, batch, per_sample, ctx->seed, offset);
    free(coef);
    return st;
}
