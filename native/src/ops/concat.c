/* concat.c — validation and dispatch of channel concatenation (see d4j.h). */
#include "../runtime/backend_cuda.h"
#include "../core/concat.h"
#include "../runtime/internal.h"

/* a (..., Ca), b (..., Cb), y (..., Ca + Cb) with equal leading dims */
static d4j_status check_concat(const char* fn, const d4j_tensor* y, const char* yname, const d4j_tensor* a,
                               const char* aname, const d4j_tensor* b, const char* bname) {
    char b1[96], b2[96], b3[96];
    int ok = a->ndim == b->ndim && a->ndim == y->ndim && a->ndim >= 2 &&
             y->shape[y->ndim - 1] == a->shape[a->ndim - 1] + b->shape[b->ndim - 1];
    for (int i = 0; ok && i < a->ndim - 1; i++) ok = a->shape[i] == b->shape[i] && a->shape[i] == y->shape[i];
    if (!ok)
        return d4j_fail(fn, D4J_ERR_SHAPE, "%s %s, %s %s and %s %s do not concatenate along the last dimension", aname,
                        d4j_shape_str(b1, sizeof b1, a->shape, a->ndim), bname,
                        d4j_shape_str(b2, sizeof b2, b->shape, b->ndim), yname,
                        d4j_shape_str(b3, sizeof b3, y->shape, y->ndim));
    return D4J_OK;
}

d4j_status d4j_concat_channels_forward(d4j_ctx* ctx, d4j_tensor* y, const d4j_tensor* a, const d4j_tensor* b) {
    static const char* fn = "d4j_concat_channels_forward";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "y", y, ctx));
    D4J_TRY(d4j_check_tensor(fn, "a", a, ctx));
    D4J_TRY(d4j_check_tensor(fn, "b", b, ctx));
    D4J_TRY(check_concat(fn, y, "y", a, "a", b, "b"));
    if (y == a || y == b) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "y must not alias a or b");
    int64_t ca = a->shape[a->ndim - 1], cb = b->shape[b->ndim - 1], pixels = a->numel / ca;
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_concat_forward(fn, ctx->ordinal, ctx->stream, y->data, a->data, b->data, pixels,
                                                    ca, cb));
    D4J_CPU_DISPATCH(concat_forward)(y->data, a->data, b->data, pixels, ca, cb);
    return D4J_OK;
}

d4j_status d4j_concat_channels_backward(d4j_ctx* ctx, d4j_tensor* da, d4j_tensor* db, const d4j_tensor* dy) {
    static const char* fn = "d4j_concat_channels_backward";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "da", da, ctx));
    D4J_TRY(d4j_check_output(fn, "db", db, ctx));
    D4J_TRY(d4j_check_tensor(fn, "dy", dy, ctx));
    D4J_TRY(check_concat(fn, dy, "dy", da, "da", db, "db"));
    if (da == db || da == dy || db == dy) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "da, db and dy must be distinct");
    int64_t ca = da->shape[da->ndim - 1], cb = db->shape[db->ndim - 1], pixels = da->numel / ca;
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_concat_backward(fn, ctx->ordinal, ctx->stream, da->data, db->data, dy->data,
                                                     pixels, ca, cb));
    D4J_CPU_DISPATCH(concat_backward)(da->data, db->data, dy->data, pixels, ca, cb);
    return D4J_OK;
}
