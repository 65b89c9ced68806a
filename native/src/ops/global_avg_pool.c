/* global_avg_pool.c — validation and dispatch of global average pooling, forward and backward (see d4j.h). */
#include "../runtime/backend_cuda.h"
#include "../core/global_avg_pool.h"
#include "../runtime/internal.h"

/* map (N, H, W, C) and its pooled (N, C) */
static d4j_status check_shapes(const char* fn, const char* map_name, const d4j_tensor* map, const char* pooled_name,
                               const d4j_tensor* pooled) {
    char b1[96], b2[96];
    if (map->ndim != 4)
        return d4j_fail(fn, D4J_ERR_SHAPE, "%s has shape %s; it must be (N, H, W, C)", map_name,
                        d4j_shape_str(b1, sizeof b1, map->shape, map->ndim));
    if (pooled->ndim != 2 || pooled->shape[0] != map->shape[0] || pooled->shape[1] != map->shape[3])
        return d4j_fail(fn, D4J_ERR_SHAPE, "%s has shape %s; it must be (N, C) = [%lld, %lld] for %s %s", pooled_name,
                        d4j_shape_str(b1, sizeof b1, pooled->shape, pooled->ndim), (long long)map->shape[0],
                        (long long)map->shape[3], map_name, d4j_shape_str(b2, sizeof b2, map->shape, map->ndim));
    return D4J_OK;
}

d4j_status d4j_global_avg_pool_forward(d4j_ctx* ctx, d4j_tensor* y, const d4j_tensor* x) {
    static const char* fn = "d4j_global_avg_pool_forward";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "y", y, ctx));
    D4J_TRY(d4j_check_tensor(fn, "x", x, ctx));
    D4J_TRY(check_shapes(fn, "x", x, "y", y));
    if (y == x) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "y must not be x");
    int64_t n = x->shape[0], p = x->shape[1] * x->shape[2], c = x->shape[3];
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_global_avg_pool_forward(fn, ctx->ordinal, ctx->stream, y->data, x->data, n, p, c));
    D4J_CPU_DISPATCH(global_avg_pool_forward)(y->data, x->data, n, p, c);
    return D4J_OK;
}

d4j_status d4j_global_avg_pool_backward(d4j_ctx* ctx, d4j_tensor* dx, const d4j_tensor* dy) {
    static const char* fn = "d4j_global_avg_pool_backward";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "dx", dx, ctx));
    D4J_TRY(d4j_check_tensor(fn, "dy", dy, ctx));
    D4J_TRY(check_shapes(fn, "dx", dx, "dy", dy));
    if (dx == dy) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "dx must not be dy");
    int64_t n = dx->shape[0], p = dx->shape[1] * dx->shape[2], c = dx->shape[3];
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_global_avg_pool_backward(fn, ctx->ordinal, ctx->stream, dx->data, dy->data, n, p,
                                                              c));
    D4J_CPU_DISPATCH(global_avg_pool_backward)(dx->data, dy->data, n, p, c);
    return D4J_OK;
}
