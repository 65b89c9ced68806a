/* add_per_sample.c — validation and dispatch of the per-sample broadcast add and its gradient (see d4j.h). */
#include "../core/add_per_sample.h"
#include "../runtime/backend_cuda.h"
#include "../runtime/internal.h"

/* b (N, C) against x (N, ..., C) */
static d4j_status check_pair(const char* fn, const char* bname, const d4j_tensor* b, const char* xname,
                             const d4j_tensor* x) {
    if (x->ndim < 2 || b->ndim != 2 || b->shape[0] != x->shape[0] || b->shape[1] != x->shape[x->ndim - 1]) {
        char b1[96], b2[96];
        return d4j_fail(fn, D4J_ERR_SHAPE, "%s has shape %s; it must be (N, C) for %s %s", bname,
                        d4j_shape_str(b1, sizeof b1, b->shape, b->ndim), xname,
                        d4j_shape_str(b2, sizeof b2, x->shape, x->ndim));
    }
    return D4J_OK;
}

d4j_status d4j_add_per_sample(d4j_ctx* ctx, d4j_tensor* y, const d4j_tensor* x, const d4j_tensor* b) {
    static const char* fn = "d4j_add_per_sample";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "y", y, ctx));
    D4J_TRY(d4j_check_tensor(fn, "x", x, ctx));
    D4J_TRY(d4j_check_tensor(fn, "b", b, ctx));
    D4J_TRY(d4j_check_same_shape(fn, "y", y, "x", x));
    D4J_TRY(check_pair(fn, "b", b, "x", x));
    if (y == b) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "y must not alias b");
    int64_t n = x->shape[0], c = x->shape[x->ndim - 1], p = x->numel / (n * c);
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_add_per_sample(fn, ctx->ordinal, ctx->stream, y->data, x->data, b->data, n, p, c));
    D4J_CPU_DISPATCH(add_per_sample)(y->data, x->data, b->data, n, p, c);
    return D4J_OK;
}

d4j_status d4j_sum_per_sample(d4j_ctx* ctx, d4j_tensor* db, const d4j_tensor* dy) {
    static const char* fn = "d4j_sum_per_sample";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "db", db, ctx));
    D4J_TRY(d4j_check_tensor(fn, "dy", dy, ctx));
    D4J_TRY(check_pair(fn, "db", db, "dy", dy));
    int64_t n = dy->shape[0], c = dy->shape[dy->ndim - 1], p = dy->numel / (n * c);
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_sum_per_sample(fn, ctx->ordinal, ctx->stream, db->data, dy->data, n, p, c));
    D4J_CPU_DISPATCH(sum_per_sample)(db->data, dy->data, n, p, c);
    return D4J_OK;
}
