/*
 * conv2d.c — validation and dispatch of the 2-D convolution ops (see d4j.h):
 * NHWC activations, (K, K, Cin, Cout) weights, square kernels 1..7, stride
 * 1..4, 0 <= pad < K.
 */
#include "../runtime/backend_cuda.h"
#include "../core/add.h"
#include "../core/conv2d.h"
#include "../core/conv2d_bf16.h"
#include "../core/conv2d_thin.h"
#include "../core/conv2d_winograd.h"
#include "../runtime/internal.h"

/* Reads the shape from x (N,H,W,Cin) and w (K,K,Cin,Cout); checks y or dy is (N,Ho,Wo,Cout). */
static d4j_status conv_shape(const char* fn, d4j_conv_shape* s, const d4j_tensor* x, const char* xname,
                             const d4j_tensor* w, const d4j_tensor* y, const char* yname, int32_t stride,
                             int32_t pad) {
    char b1[96], b2[96];
    if (x->ndim != 4)
        return d4j_fail(fn, D4J_ERR_SHAPE, "%s has shape %s; it must be 4-D (N, H, W, C)", xname,
                        d4j_shape_str(b1, sizeof b1, x->shape, x->ndim));
    if (w->ndim != 4 || w->shape[0] != w->shape[1] || w->shape[0] > 7 || w->shape[2] != x->shape[3])
        return d4j_fail(fn, D4J_ERR_SHAPE, "w has shape %s; it must be (K, K, Cin=%lld, Cout) with K <= 7", 
                        d4j_shape_str(b1, sizeof b1, w->shape, w->ndim), (long long)x->shape[3]);
    int32_t k = (int32_t)w->shape[0];
    if (stride < 1 || stride > 4)
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "stride is %d; it must be 1 to 4", stride);
    if (pad < 0 || pad >= k)
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "pad is %d; it must be 0 to K-1 = %d", pad, k - 1);
    s->n = x->shape[0];
    s->h = x->shape[1];
    s->w = x->shape[2];
    s->cin = x->shape[3];
    s->cout = w->shape[3];
    s->k = k;
    s->stride = stride;
    s->pad = pad;
    if (s->h + 2 * pad < k || s->w + 2 * pad < k)
        return d4j_fail(fn, D4J_ERR_SHAPE, "%s %s is smaller than the %dx%d kernel even with pad %d", xname,
                        d4j_shape_str(b1, sizeof b1, x->shape, x->ndim), k, k, pad);
    s->ho = (s->h + 2 * pad - k) / stride + 1;
    s->wo = (s->w + 2 * pad - k) / stride + 1;
    int64_t want[4] = {s->n, s->ho, s->wo, s->cout};
    int same = y->ndim == 4;
    for (int i = 0; same && i < 4; i++) same = y->shape[i] == want[i];
    if (!same)
        return d4j_fail(fn, D4J_ERR_SHAPE, "%s has shape %s but must be %s", yname,
                        d4j_shape_str(b1, sizeof b1, y->shape, y->ndim), d4j_shape_str(b2, sizeof b2, want, 4));
    return D4J_OK;
}

/* The Winograd output tile (2 or 4) ctx runs shape s with on the CPU, or 0 for direct. AUTO's
 * choice follows the measurements in benchmarks/results/conv-cpu.md. */
static int winograd_tile(const d4j_ctx* ctx, const d4j_conv_shape* s) {
    if (ctx->conv_algo == D4J_CONV_DIRECT || !d4j_conv2d_winograd_applies(s)) return 0;
    if (ctx->conv_algo == D4J_CONV_WINOGRAD_2X2) return 2;
    if (ctx->conv_algo == D4J_CONV_WINOGRAD_4X4) return 4;
    /* F(4×4, 3×3), also on maps it does not tile (14×14, 7×7): its overhanging tiles still do fewer
     * multiplies than F(2×2, 3×3) (36 per 16 outputs over 16×16 for 14×14: 2.9 per output, against
     * 4), and ConvReport measured it faster than F(2×2) at 14×14 and direct at 7×7 on AMD (ymm) and
     * Intel (zmm) cores; the main job ran 1.03–1.05× faster for it (2026-12-04) */
    if (ctx->conv_algo == D4J_CONV_WINOGRAD) return 4;
    /* thin layers and small maps spend more on the transforms than the products save */
    return s->cin >= 16 && s->cout >= 16 && s->ho >= 7 && s->wo >= 7 ? 4 : 0;
}

/* The kernels without a fused residual add it in a second pass (the same bits: the residual is
 * added last in the fused kernels too). */
static d4j_status add_residual(const char* fn, d4j_ctx* ctx, float* y, const float* residual, const d4j_conv_shape* s) {
    const int64_t n = s->n * s->ho * s->wo * s->cout;
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_add(fn, ctx->ordinal, ctx->stream, y, y, residual, n));
    D4J_CPU_DISPATCH(add)(y, y, residual, n);
    return D4J_OK;
}

d4j_status d4j_conv2d_run_forward(const char* fn, d4j_ctx* ctx, float* y, const float* x, const float* w,
                                  const float* bias, const float* residual, const d4j_conv_shape* s) {
    d4j_status st;
    if (ctx->device_type == D4J_DEVICE_CPU && ctx->precision == D4J_PRECISION_BF16) /* before any algorithm choice */
        st = d4j_conv2d_bf16_run_forward(fn, y, x, w, bias, s);
    else if (ctx->device_type == D4J_DEVICE_CUDA)
        st = D4J_CUDA(fn, d4j_cuda_conv2d_forward(fn, ctx->ordinal, ctx->stream, y, x, w, bias, s));
    else {
        int m = winograd_tile(ctx, s);
        if (m) /* fused: the residual is added as the output tiles are stored */
            return D4J_CPU_DISPATCH(conv2d_winograd_forward)(y, x, w, bias, residual, s, m) ? d4j_no_scratch(fn)
                                                                                             : D4J_OK;
        if (d4j_conv2d_thin_applies(s))
            st = D4J_CPU_DISPATCH(conv2d_thin_forward)(y, x, w, bias, s) ? d4j_no_scratch(fn) : D4J_OK;
        else
            st = D4J_CPU_DISPATCH(conv2d_forward)(y, x, w, bias, s) ? d4j_no_scratch(fn) : D4J_OK;
    }
    return st == D4J_OK && residual ? add_residual(fn, ctx, y, residual, s) : st;
}

d4j_status d4j_conv2d_run_backward_data(const char* fn, d4j_ctx* ctx, float* dx, const float* dy, const float* w,
                                        const d4j_conv_shape* s) {
    if (ctx->device_type == D4J_DEVICE_CPU && ctx->precision == D4J_PRECISION_BF16)
        return d4j_conv2d_bf16_run_backward_data(fn, dx, dy, w, s);
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_conv2d_backward_data(fn, ctx->ordinal, ctx->stream, dx, dy, w, s));
    int m = winograd_tile(ctx, s);
    if (m) return D4J_CPU_DISPATCH(conv2d_winograd_backward_data)(dx, dy, w, s, m) ? d4j_no_scratch(fn) : D4J_OK;
    if (d4j_conv2d_thin_applies(s))
        return D4J_CPU_DISPATCH(conv2d_thin_backward_data)(dx, dy, w, s) ? d4j_no_scratch(fn) : D4J_OK;
    return D4J_CPU_DISPATCH(conv2d_backward_data)(dx, dy, w, s) ? d4j_no_scratch(fn) : D4J_OK;
}

d4j_status d4j_conv2d_run_backward_weights(const char* fn, d4j_ctx* ctx, float* dw, float* dbias, const float* dy,
                                           const float* x, const d4j_conv_shape* s) {
    if (ctx->device_type == D4J_DEVICE_CPU && ctx->precision == D4J_PRECISION_BF16)
        return d4j_conv2d_bf16_run_backward_weights(fn, dw, dbias, dy, x, s);
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_conv2d_backward_weights(fn, ctx->ordinal, ctx->stream, dw, dbias, dy, x, s));
    int m = winograd_tile(ctx, s);
    if (m) return D4J_CPU_DISPATCH(conv2d_winograd_backward_weights)(dw, dbias, dy, x, s, m) ? d4j_no_scratch(fn) : D4J_OK;
    if (d4j_conv2d_thin_applies(s))
        return D4J_CPU_DISPATCH(conv2d_thin_backward_weights)(dw, dbias, dy, x, s) ? d4j_no_scratch(fn) : D4J_OK;
    return D4J_CPU_DISPATCH(conv2d_backward_weights)(dw, dbias, dy, x, s) ? d4j_no_scratch(fn) : D4J_OK;
}

/* Both forward entry points; residual (y's shape) is added when not NULL. */
static d4j_status conv_forward(const char* fn, d4j_ctx* ctx, d4j_tensor* y, const d4j_tensor* x,
                               const d4j_tensor* residual, const d4j_tensor* w, const d4j_tensor* bias, int32_t stride,
                               int32_t pad) {
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "y", y, ctx));
    D4J_TRY(d4j_check_tensor(fn, "x", x, ctx));
    D4J_TRY(d4j_check_tensor(fn, "w", w, ctx));
    d4j_conv_shape s;
    D4J_TRY(conv_shape(fn, &s, x, "x", w, y, "y", stride, pad));
    if (bias) D4J_TRY(d4j_check_vector(fn, "bias", bias, ctx, s.cout, 0));
    if (residual) {
        D4J_TRY(d4j_check_tensor(fn, "residual", residual, ctx));
        D4J_TRY(d4j_check_same_shape(fn, "residual", residual, "y", y));
    }
    if (y == x || y == w || y == bias || y == residual)
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "y must not alias an input");
    return d4j_conv2d_run_forward(fn, ctx, y->data, x->data, w->data, bias ? bias->data : NULL,
                                  residual ? residual->data : NULL, &s);
}

d4j_status d4j_conv2d_forward(d4j_ctx* ctx, d4j_tensor* y, const d4j_tensor* x, const d4j_tensor* w,
                              const d4j_tensor* bias, int32_t stride, int32_t pad) {
    return conv_forward("d4j_conv2d_forward", ctx, y, x, NULL, w, bias, stride, pad);
}

d4j_status d4j_conv2d_forward_residual(d4j_ctx* ctx, d4j_tensor* y, const d4j_tensor* x, const d4j_tensor* residual,
                                       const d4j_tensor* w, const d4j_tensor* bias, int32_t stride, int32_t pad) {
    static const char* fn = "d4j_conv2d_forward_residual";
    if (!residual) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "residual is NULL");
    return conv_forward(fn, ctx, y, x, residual, w, bias, stride, pad);
}

d4j_status d4j_conv2d_backward_data(d4j_ctx* ctx, d4j_tensor* dx, const d4j_tensor* dy, const d4j_tensor* w,
                                    int32_t stride, int32_t pad) {
    static const char* fn = "d4j_conv2d_backward_data";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "dx", dx, ctx));
    D4J_TRY(d4j_check_tensor(fn, "dy", dy, ctx));
    D4J_TRY(d4j_check_tensor(fn, "w", w, ctx));
    d4j_conv_shape s;
    D4J_TRY(conv_shape(fn, &s, dx, "dx", w, dy, "dy", stride, pad));
    if (dx == dy || dx == w) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "dx must not alias an input");
    return d4j_conv2d_run_backward_data(fn, ctx, dx->data, dy->data, w->data, &s);
}

d4j_status d4j_conv2d_backward_weights(d4j_ctx* ctx, d4j_tensor* dw, d4j_tensor* dbias, const d4j_tensor* dy,
                                       const d4j_tensor* x, int32_t stride, int32_t pad) {
    static const char* fn = "d4j_conv2d_backward_weights";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "dw", dw, ctx));
    D4J_TRY(d4j_check_tensor(fn, "dy", dy, ctx));
    D4J_TRY(d4j_check_tensor(fn, "x", x, ctx));
    d4j_conv_shape s;
    D4J_TRY(conv_shape(fn, &s, x, "x", dw, dy, "dy", stride, pad));
    if (dbias) D4J_TRY(d4j_check_vector(fn, "dbias", dbias, ctx, s.cout, 1));
    if (dw == dy || dw == x || dbias == dy || dbias == x || dbias == dw)
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "dw and dbias must not alias an input or each other");
    return d4j_conv2d_run_backward_weights(fn, ctx, dw->data, dbias ? dbias->data : NULL, dy->data, x->data, &s);
}
