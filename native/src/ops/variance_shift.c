/* variance_shift.c — validation and dispatch of x += scale·Σ ⊙ grad, classifier guidance's DDPM shift (see d4j.h). */
#include <math.h>

#include "../core/variance_shift.h"
#include "../runtime/backend_cuda.h"
#include "../runtime/internal.h"

d4j_status d4j_variance_shift(d4j_ctx* ctx, d4j_tensor* x, const d4j_tensor* grad, const d4j_tensor* var_out,
                              float scale, float log_var_max, float log_var_min) {
    static const char* fn = "d4j_variance_shift";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "x", x, ctx));
    D4J_TRY(d4j_check_tensor(fn, "grad", grad, ctx));
    D4J_TRY(d4j_check_same_shape(fn, "grad", grad, "x", x));
    if (var_out) {
        D4J_TRY(d4j_check_tensor(fn, "var_out", var_out, ctx));
        D4J_TRY(d4j_check_same_shape(fn, "var_out", var_out, "x", x));
    }
    const float v[3] = {scale, log_var_max, log_var_min};
    static const char* names[3] = {"scale", "log_var_max", "log_var_min"};
    for (int i = 0; i < 3; i++)
        if (!isfinite(v[i]))
            return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "%s is %g; it must be finite", names[i], (double)v[i]);
    if (x == grad || x == var_out)
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "x must not alias %s", x == grad ? "grad" : "var_out");
    const float* r = var_out ? var_out->data : NULL;
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_variance_shift(fn, ctx->ordinal, ctx->stream, x->data, grad->data, r, x->numel,
                                                    scale, log_var_max, log_var_min));
    D4J_CPU_DISPATCH(variance_shift)(x->data, grad->data, r, x->numel, scale, log_var_max, log_var_min);
    return D4J_OK;
}
