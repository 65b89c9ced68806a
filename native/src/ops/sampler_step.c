/* sampler_step.c — validation and dispatch of the fused reverse-process update (see d4j.h). */
#include <math.h>

#include "../runtime/backend_cuda.h"
#include "../runtime/internal.h"
#include "../core/keyed_noise.h"
#include "../core/sampler_step.h"

d4j_status d4j_sampler_step(d4j_ctx* ctx, d4j_tensor* x_prev, const d4j_tensor* x_t, const d4j_tensor* out,
                            const d4j_tensor* out_uncond, const d4j_tensor* var_out, const d4j_step_coefficients* c,
                            uint64_t noise_key, uint32_t noise_stream, const int64_t* ids) {
    static const char* fn = "d4j_sampler_step";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "x_prev", x_prev, ctx));
    D4J_TRY(d4j_check_tensor(fn, "x_t", x_t, ctx));
    D4J_TRY(d4j_check_tensor(fn, "out", out, ctx));
    D4J_TRY(d4j_check_same_shape(fn, "x_prev", x_prev, "x_t", x_t));
    D4J_TRY(d4j_check_same_shape(fn, "out", out, "x_t", x_t));
    if (out_uncond) {
        D4J_TRY(d4j_check_tensor(fn, "out_uncond", out_uncond, ctx));
        D4J_TRY(d4j_check_same_shape(fn, "out_uncond", out_uncond, "x_t", x_t));
    }
    if (var_out) {
        D4J_TRY(d4j_check_tensor(fn, "var_out", var_out, ctx));
        D4J_TRY(d4j_check_same_shape(fn, "var_out", var_out, "x_t", x_t));
    }
    if (!c) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "coefficients are NULL");
    /* log_var_* are checked even without var_out: a coefficient set is valid or not on its own */
    const float v[13] = {c->x0_from_xt, c->x0_from_out, c->eps_from_xt, c->eps_from_out, c->sqrt_alpha_bar,
                         c->recip_sqrt_one_minus_alpha_bar, c->coef_x0, c->coef_xt, c->coef_eps, c->sigma,
                         c->log_var_max, c->log_var_min, c->guidance};
    static const char* names[13] = {"x0_from_xt", "x0_from_out", "eps_from_xt", "eps_from_out", "sqrt_alpha_bar",
                                    "recip_sqrt_one_minus_alpha_bar", "coef_x0", "coef_xt", "coef_eps", "sigma",
                                    "log_var_max", "log_var_min", "guidance"};
    for (int i = 0; i < 13; i++)
        if (!isfinite(v[i]))
            return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "%s is %g; it must be finite", names[i], (double)v[i]);
    if (c->sigma < 0.0f) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "sigma is %g; it must be >= 0", (double)c->sigma);
    if (c->clip_x0 != 0 && c->clip_x0 != 1)
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "clip_x0 is %d; it must be 0 or 1", (int)c->clip_x0);
    if (x_prev == out || x_prev == out_uncond || x_prev == var_out)
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "x_prev must not alias %s",
                        x_prev == out ? "out" : x_prev == out_uncond ? "out_uncond" : "var_out");
    /* noise is drawn only when sigma > 0; then every sample needs its id */
    if (c->sigma > 0.0f) D4J_TRY(d4j_check_keyed_ids(fn, "x_t", x_t, ids));
    int64_t batch = x_t->shape[0], per_sample = x_t->numel / batch;
    const float* u = out_uncond ? out_uncond->data : NULL;
    const float* r = var_out ? var_out->data : NULL;
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_sampler_step(fn, ctx->ordinal, ctx->stream, x_prev->data, x_t->data, out->data, u,
                                                  r, batch, per_sample, c, noise_key, noise_stream, ids));
    D4J_CPU_DISPATCH(sampler_step)(x_prev->data, x_t->data, out->data, u, r, batch, per_sample, c, noise_key,
                                   noise_stream, ids);
    return D4J_OK;
}
