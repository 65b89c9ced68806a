/* silu.c — validation and dispatch of SiLU forward and backward (see d4j.h). */
#include "../runtime/backend_cuda.h"
#include "../runtime/internal.h"
#include "../core/silu.h"

d4j_status d4j_silu_forward(d4j_ctx* ctx, d4j_tensor* y, const d4j_tensor* x) {
    static const char* fn = "d4j_silu_forward";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "y", y, ctx));
    D4J_TRY(d4j_check_tensor(fn, "x", x, ctx));
    D4J_TRY(d4j_check_same_shape(fn, "y", y, "x", x));
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_silu_forward(fn, ctx->ordinal, ctx->stream, y->data, x->data, x->numel));
    D4J_CPU_DISPATCH(silu_forward)(y->data, x->data, x->numel);
    return D4J_OK;
}

d4j_status d4j_silu_backward(d4j_ctx* ctx, d4j_tensor* dx, const d4j_tensor* dy, const d4j_tensor* x) {
    static const char* fn = "d4j_silu_backward";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "dx", dx, ctx));
    D4J_TRY(d4j_check_tensor(fn, "dy", dy, ctx));
    D4J_TRY(d4j_check_tensor(fn, "x", x, ctx));
    D4J_TRY(d4j_check_same_shape(fn, "dx", dx, "x", x));
    D4J_TRY(d4j_check_same_shape(fn, "dy", dy, "x", x));
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_silu_backward(fn, ctx->ordinal, ctx->stream, dx->data, dy->data, x->data,
                                                   x->numel));
    D4J_CPU_DISPATCH(silu_backward)(dx->data, dy->data, x->data, x->numel);
    return D4J_OK;
}
