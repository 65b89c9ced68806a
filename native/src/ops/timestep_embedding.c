/* timestep_embedding.c — validation and dispatch of the sinusoidal embedding (see d4j.h). */
#include <math.h>

#include "../runtime/backend_cuda.h"
#include "../runtime/internal.h"
#include "../core/timestep_embedding.h"

d4j_status d4j_timestep_embedding(d4j_ctx* ctx, d4j_tensor* out, const int32_t* t, int64_t batch, float max_period) {
    static const char* fn = "d4j_timestep_embedding";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "out", out, ctx));
    char b[96];
    if (out->ndim != 2 || out->shape[1] % 2 != 0)
        return d4j_fail(fn, D4J_ERR_SHAPE, "out has shape %s; it must be (N, dim) with dim even",
                        d4j_shape_str(b, sizeof b, out->shape, out->ndim));
    if (batch != out->shape[0])
        return d4j_fail(fn, D4J_ERR_SHAPE, "batch is %lld but out has %lld rows", (long long)batch,
                        (long long)out->shape[0]);
    if (!t) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "t is NULL");
    if (!(max_period > 1.0f) || !isfinite(max_period))
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "max_period is %g; it must be finite and > 1", (double)max_period);
    for (int64_t n = 0; n < batch; n++)
        if (t[n] < 0) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "t[%lld] is %d; timesteps are >= 0", (long long)n, t[n]);
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_timestep_embedding(fn, ctx->ordinal, ctx->stream, out->data, t, batch,
                                                        out->shape[1], max_period));
    D4J_CPU_DISPATCH(timestep_embedding)(out->data, t, batch, out->shape[1], max_period);
    return D4J_OK;
}
