/*
 * linear.c — fully connected layers y = x w + b (see d4j.h), run on the
 * convolution kernels as a 1×1 convolution over rows·1·1 pixels: x (..., K),
 * w (K, N), bias (N), y (..., N), all leading dims flattened into rows.
 */
#include "../core/conv2d.h"
#include "../runtime/internal.h"

/* rows × K input, K × N weights; checks y's leading dims equal x's and its last is N. */
static d4j_status linear_shape(const char* fn, d4j_conv_shape* s, const d4j_tensor* x, const char* xname,
                               const d4j_tensor* w, const d4j_tensor* y, const char* yname) {
    char b1[96], b2[96];
    int64_t k = x->shape[x->ndim - 1];
    if (w->ndim != 2 || w->shape[0] != k)
        return d4j_fail(fn, D4J_ERR_SHAPE, "w has shape %s; it must be (K=%lld, N) for %s %s",
                        d4j_shape_str(b1, sizeof b1, w->shape, w->ndim), (long long)k, xname,
                        d4j_shape_str(b2, sizeof b2, x->shape, x->ndim));
    int same = y->ndim == x->ndim && y->shape[y->ndim - 1] == w->shape[1];
    for (int i = 0; same && i < x->ndim - 1; i++) same = y->shape[i] == x->shape[i];
    if (!same)
        return d4j_fail(fn, D4J_ERR_SHAPE, "%s has shape %s; it must be %s's leading dims %s with N=%lld last", yname,
                        d4j_shape_str(b1, sizeof b1, y->shape, y->ndim), xname,
                        d4j_shape_str(b2, sizeof b2, x->shape, x->ndim - 1), (long long)w->shape[1]);
    d4j_conv_shape c = {x->numel / k, 1, 1, k, 1, 1, w->shape[1], 1, 1, 0};
    *s = c;
    return D4J_OK;
}

d4j_status d4j_linear_forward(d4j_ctx* ctx, d4j_tensor* y, const d4j_tensor* x, const d4j_tensor* w,
                              const d4j_tensor* bias) {
    static const char* fn = "d4j_linear_forward";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "y", y, ctx));
    D4J_TRY(d4j_check_tensor(fn, "x", x, ctx));
    D4J_TRY(d4j_check_tensor(fn, "w", w, ctx));
    d4j_conv_shape s;
    D4J_TRY(linear_shape(fn, &s, x, "x", w, y, "y"));
    if (bias) D4J_TRY(d4j_check_vector(fn, "bias", bias, ctx, s.cout, 0));
    if (y == x || y == w || y == bias) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "y must not alias an input");
    return d4j_conv2d_run_forward(fn, ctx, y->data, x->data, w->data, bias ? bias->data : NULL, NULL, &s);
}

d4j_status d4j_linear_backward_data(d4j_ctx* ctx, d4j_tensor* dx, const d4j_tensor* dy, const d4j_tensor* w) {
    static const char* fn = "d4j_linear_backward_data";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "dx", dx, ctx));
    D4J_TRY(d4j_check_tensor(fn, "dy", dy, ctx));
    D4J_TRY(d4j_check_tensor(fn, "w", w, ctx));
    d4j_conv_shape s;
    D4J_TRY(linear_shape(fn, &s, dx, "dx", w, dy, "dy"));
    if (dx == dy || dx == w) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "dx must not alias an input");
    return d4j_conv2d_run_backward_data(fn, ctx, dx->data, dy->data, w->data, &s);
}

d4j_status d4j_linear_backward_weights(d4j_ctx* ctx, d4j_tensor* dw, d4j_tensor* dbias, const d4j_tensor* dy,
                                       const d4j_tensor* x) {
    static const char* fn = "d4j_linear_backward_weights";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "dw", dw, ctx));
    D4J_TRY(d4j_check_tensor(fn, "dy", dy, ctx));
    D4J_TRY(d4j_check_tensor(fn, "x", x, ctx));
    d4j_conv_shape s;
    D4J_TRY(linear_shape(fn, &s, x, "x", dw, dy, "dy"));
    if (dbias) D4J_TRY(d4j_check_vector(fn, "dbias", dbias, ctx, s.cout, 1));
    if (dw == dy || dw == x || dbias == dy || dbias == x || dbias == dw)
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "dw and dbias must not alias an input or each other");
    return d4j_conv2d_run_backward_weights(fn, ctx, dw->data, dbias ? dbias->data : NULL, dy->data, x->data, &s);
}
