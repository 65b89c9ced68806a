/* gaussian_kl.c — validation and dispatch of the latent's KL term (see d4j.h). */
#include <math.h>

#include "../core/gaussian_kl.h"
#include "../runtime/backend_cuda.h"
#include "../runtime/internal.h"

d4j_status d4j_gaussian_kl(d4j_ctx* ctx, d4j_tensor* loss, d4j_tensor* dmoments, const d4j_tensor* moments,
                           float weight) {
    static const char* fn = "d4j_gaussian_kl";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "loss", loss, ctx));
    D4J_TRY(d4j_check_tensor(fn, "moments", moments, ctx));
    char b[96];
    if (moments->ndim != 4 || moments->shape[3] % 2 != 0)
        return d4j_fail(fn, D4J_ERR_SHAPE, "moments has shape %s; it must be (N, H, W, 2C): C means, C log-variances",
                        d4j_shape_str(b, sizeof b, moments->shape, moments->ndim));
    if (loss->numel != 1)
        return d4j_fail(fn, D4J_ERR_SHAPE, "loss has shape %s; it must hold one element",
                        d4j_shape_str(b, sizeof b, loss->shape, loss->ndim));
    if (loss == moments) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "loss must not be moments");
    if (dmoments) {
        D4J_TRY(d4j_check_output(fn, "dmoments", dmoments, ctx));
        D4J_TRY(d4j_check_same_shape(fn, "dmoments", dmoments, "moments", moments));
        if (dmoments == loss) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "dmoments must not be loss");
    }
    if (!isfinite(weight) || weight < 0.0f)
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "weight is %g; it must be finite and >= 0", (double)weight);
    int64_t channels = moments->shape[3] / 2;
    int64_t positions = moments->numel / moments->shape[3];
    double scale = (double)weight / (double)moments->shape[0];
    float* dm = dmoments ? dmoments->data : NULL;
    if (ctx->device_type == D4J_DEVICE_CUDA) {
        size_t bytes = d4j_alloc_round(D4J_CUDA_KL_BLOCKS * sizeof(double));
        void* scratch = NULL;
        D4J_TRY(d4j_alloc(fn, &ctx->alloc, bytes, &scratch));
        d4j_status st = D4J_CUDA(fn, d4j_cuda_gaussian_kl(fn, ctx->ordinal, ctx->stream, loss->data, dm,
                                                           moments->data, positions, channels, scale,
                                                           (double*)scratch));
        d4j_release(&ctx->alloc, scratch, bytes);
        return st;
    }
    D4J_CPU_DISPATCH(gaussian_kl)(loss->data, dm, moments->data, positions, channels, scale);
    return D4J_OK;
}
