/* latent_sample.c — validation and dispatch of the reparameterised latent sample (see d4j.h). */
#include "../core/latent_sample.h"
#include "../core/philox.h"
#include "../runtime/backend_cuda.h"
#include "../runtime/internal.h"

/* moments (N, H, W, 2C) and a latent-shaped tensor (N, H, W, C) named `name` */
static d4j_status check_latent(const char* fn, const d4j_tensor* moments, const char* name, const d4j_tensor* t) {
    char a[96], b[96];
    if (moments->ndim != 4 || moments->shape[3] % 2 != 0)
        return d4j_fail(fn, D4J_ERR_SHAPE, "moments has shape %s; it must be (N, H, W, 2C): C means, C log-variances",
                        d4j_shape_str(a, sizeof a, moments->shape, moments->ndim));
    if (t->ndim != 4 || t->shape[0] != moments->shape[0] || t->shape[1] != moments->shape[1] ||
        t->shape[2] != moments->shape[2] || 2 * t->shape[3] != moments->shape[3])
        return d4j_fail(fn, D4J_ERR_SHAPE, "%s has shape %s; for moments %s it must be (N, H, W, C) with 2C = %lld",
                        name, d4j_shape_str(a, sizeof a, t->shape, t->ndim),
                        d4j_shape_str(b, sizeof b, moments->shape, moments->ndim), (long long)moments->shape[3]);
    return D4J_OK;
}

d4j_status d4j_latent_sample_forward(d4j_ctx* ctx, d4j_tensor* z, d4j_tensor* eps, const d4j_tensor* moments) {
    static const char* fn = "d4j_latent_sample_forward";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "z", z, ctx));
    D4J_TRY(d4j_check_tensor(fn, "moments", moments, ctx));
    D4J_TRY(check_latent(fn, moments, "z", z));
    if (z == moments) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "z must not be moments");
    if (eps) {
        D4J_TRY(d4j_check_output(fn, "eps", eps, ctx));
        D4J_TRY(d4j_check_same_shape(fn, "eps", eps, "z", z));
        if (eps == z || eps == moments)
            return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "eps must be neither z nor moments");
    }
    int64_t channels = z->shape[3], positions = z->numel / channels;
    uint64_t offset = eps ? d4j_ctx_take_blocks(ctx, d4j_philox_blocks(z->numel)) : 0;
    float* e = eps ? eps->data : NULL;
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_latent_sample_forward(fn, ctx->ordinal, ctx->stream, z->data, e, moments->data,
                                                           positions, channels, ctx->seed, offset));
    D4J_CPU_DISPATCH(latent_sample_forward)(z->data, e, moments->data, positions, channels, ctx->seed, offset);
    return D4J_OK;
}

d4j_status d4j_latent_sample_backward(d4j_ctx* ctx, d4j_tensor* dmoments, const d4j_tensor* dz,
                                      const d4j_tensor* eps, const d4j_tensor* moments) {
    static const char* fn = "d4j_latent_sample_backward";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "dmoments", dmoments, ctx));
    D4J_TRY(d4j_check_tensor(fn, "dz", dz, ctx));
    D4J_TRY(d4j_check_tensor(fn, "moments", moments, ctx));
    D4J_TRY(d4j_check_same_shape(fn, "dmoments", dmoments, "moments", moments));
    D4J_TRY(check_latent(fn, moments, "dz", dz));
    if (eps) {
        D4J_TRY(d4j_check_tensor(fn, "eps", eps, ctx));
        D4J_TRY(d4j_check_same_shape(fn, "eps", eps, "dz", dz));
    }
    if (dmoments == moments || dmoments == dz || dmoments == eps)
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "dmoments must not alias moments, dz or eps");
    int64_t channels = dz->shape[3], positions = dz->numel / channels;
    const float* e = eps ? eps->data : NULL;
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_latent_sample_backward(fn, ctx->ordinal, ctx->stream, dmoments->data, dz->data,
                                                            e, moments->data, positions, channels));
    D4J_CPU_DISPATCH(latent_sample_backward)(dmoments->data, dz->data, e, moments->data, positions, channels);
    return D4J_OK;
}
