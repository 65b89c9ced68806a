/* sampler_step.c — validation and dispatch of the fused reverse-process update (see d4j.h). */
#include <math.h>

#include "backend_cuda.h"
#include "internal.h"
#include "philox.h"
#include "sampler_step.h"

d4j_status d4j_sampler_step(d4j_ctx* ctx, d4j_tensor* x_prev, const d4j_tensor* x_t, const d4j_tensor* eps,
                            const d4j_tensor* eps_uncond, const d4j_step_coefficients* c) {
    static const char* fn = "d4j_sampler_step";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_tensor(fn, "x_prev", x_prev, ctx));
    D4J_TRY(d4j_check_tensor(fn, "x_t", x_t, ctx));
    D4J_TRY(d4j_check_tensor(fn, "eps", eps, ctx));
    D4J_TRY(d4j_check_same_shape(fn, "x_prev", x_prev, "x_t", x_t));
    D4J_TRY(d4j_check_same_shape(fn, "eps", eps, "x_t", x_t));
    if (eps_uncond) {
        D4J_TRY(d4j_check_tensor(fn, "eps_uncond", eps_uncond, ctx));
        D4J_TRY(d4j_check_same_shape(fn, "eps_uncond", eps_uncond, "x_t", x_t));
    }
    if (!c) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "coefficients are NULL");
    const float v[9] = {c->recip_sqrt_alpha_bar, c->sqrt_one_minus_alpha_bar, c->sqrt_alpha_bar,
                        c->recip_sqrt_one_minus_alpha_bar, c->coef_x0, c->coef_xt, c->coef_eps, c->sigma, c->guidance};
    static const char* names[9] = {"recip_sqrt_alpha_bar", "sqrt_one_minus_alpha_bar", "sqrt_alpha_bar",
                                   "recip_sqrt_one_minus_alpha_bar", "coef_x0", "coef_xt", "coef_eps", "sigma",
                                   "guidance"};
    for (int i = 0; i < 9; i++)
        if (!isfinite(v[i])) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "%s is %g; it must be finite", names[i], (double)v[i]);
    if (c->sigma < 0.0f) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "sigma is %g; it must be >= 0", (double)c->sigma);
    if (x_prev == eps || x_prev == eps_uncond)
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "x_prev must not alias eps or eps_uncond");
    /* noise is drawn (and the stream advanced) only when sigma > 0 */
    uint64_t offset = c->sigma > 0.0f ? d4j_ctx_take_blocks(ctx, d4j_philox_blocks(x_t->numel)) : ctx->offset;
    const float* u = eps_uncond ? eps_uncond->data : NULL;
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_sampler_step(fn, ctx->ordinal, ctx->stream, x_prev->data, x_t->data, eps->data, u,
                                                  x_t->numel, c, ctx->seed, offset));
    D4J_CPU_DISPATCH(sampler_step)(x_prev->data, x_t->data, eps->data, u, x_t->numel, c, ctx->seed, offset);
    return D4J_OK;
}
