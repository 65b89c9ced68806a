/* upsample.c — validation and dispatch of nearest 2× upsampling (see d4j.h). */
#include "../runtime/backend_cuda.h"
#include "../runtime/internal.h"
#include "../core/upsample.h"

/* small (N, H, W, C) and large (N, 2H, 2W, C) */
static d4j_status check_pair(const char* fn, const char* sname, const d4j_tensor* small, const char* lname,
                             const d4j_tensor* large) {
    char b1[96], b2[96];
    if (small->ndim != 4)
        return d4j_fail(fn, D4J_ERR_SHAPE, "%s has shape %s; it must be 4-D (N, H, W, C)", sname,
                        d4j_shape_str(b1, sizeof b1, small->shape, small->ndim));
    int64_t want[4] = {small->shape[0], 2 * small->shape[1], 2 * small->shape[2], small->shape[3]};
    int same = large->ndim == 4;
    for (int i = 0; same && i < 4; i++) same = large->shape[i] == want[i];
    if (!same)
        return d4j_fail(fn, D4J_ERR_SHAPE, "%s has shape %s but must be %s (twice %s's height and width)", lname,
                        d4j_shape_str(b1, sizeof b1, large->shape, large->ndim), d4j_shape_str(b2, sizeof b2, want, 4),
                        sname);
    return D4J_OK;
}

d4j_status d4j_upsample_nearest2x_forward(d4j_ctx* ctx, d4j_tensor* y, const d4j_tensor* x) {
    static const char* fn = "d4j_upsample_nearest2x_forward";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "y", y, ctx));
    D4J_TRY(d4j_check_tensor(fn, "x", x, ctx));
    D4J_TRY(check_pair(fn, "x", x, "y", y));
    int64_t rows = x->shape[0] * x->shape[1], w = x->shape[2], c = x->shape[3];
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_upsample2x_forward(fn, ctx->ordinal, ctx->stream, y->data, x->data, rows, w, c));
    D4J_CPU_DISPATCH(upsample2x_forward)(y->data, x->data, rows, w, c);
    return D4J_OK;
}

d4j_status d4j_upsample_nearest2x_backward(d4j_ctx* ctx, d4j_tensor* dx, const d4j_tensor* dy) {
    static const char* fn = "d4j_upsample_nearest2x_backward";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "dx", dx, ctx));
    D4J_TRY(d4j_check_tensor(fn, "dy", dy, ctx));
    D4J_TRY(check_pair(fn, "dx", dx, "dy", dy));
    int64_t rows = dx->shape[0] * dx->shape[1], w = dx->shape[2], c = dx->shape[3];
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_upsample2x_backward(fn, ctx->ordinal, ctx->stream, dx->data, dy->data, rows, w, c));
    D4J_CPU_DISPATCH(upsample2x_backward)(dx->data, dy->data, rows, w, c);
    return D4J_OK;
}
