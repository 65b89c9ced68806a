/* add.c — validation and dispatch of y = a + b (see d4j.h). */
#include "../core/add.h"
#include "../runtime/backend_cuda.h"
#include "../runtime/internal.h"

d4j_status d4j_add(d4j_ctx* ctx, d4j_tensor* y, const d4j_tensor* a, const d4j_tensor* b) {
    static const char* fn = "d4j_add";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "y", y, ctx));
    D4J_TRY(d4j_check_tensor(fn, "a", a, ctx));
    D4J_TRY(d4j_check_tensor(fn, "b", b, ctx));
    D4J_TRY(d4j_check_same_shape(fn, "a", a, "b", b));
    D4J_TRY(d4j_check_same_shape(fn, "y", y, "a", a));
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_add(fn, ctx->ordinal, ctx->stream, y->data, a->data, b->data, a->numel));
    D4J_CPU_DISPATCH(add)(y->data, a->data, b->data, a->numel);
    return D4J_OK;
}
