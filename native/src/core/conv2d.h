/*
 * conv2d.h — kernel contract of the 2-D convolution (front doors ops/conv2d.c, ops/linear.c).
 * Shapes (NHWC): x (N, H, W, Cin), w (K, K, Cin, Cout), y (N, Ho, Wo, Cout),
 * Ho = (H + 2 pad - K) / stride + 1. Linear layers run on the same kernels as
 * 1×1 convolutions over N = rows, H = W = 1.
 */
#ifndef D4J_CONV2D_H
#define D4J_CONV2D_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"

typedef struct d4j_conv_shape {
    int64_t n, h, w, cin;   /* input */
    int64_t ho, wo, cout;   /* output */
    int32_t k, stride, pad; /* square kernel */
} d4j_conv_shape;

#define D4J_CONV_MAX_TAPS 49 /* kernels up to 7×7 (checked by ops/conv2d.c) */

/* Backward data with a stride, as the CPU kernels split it: the dx pixels (h, w) with h ≡ ph and
 * w ≡ pw (mod stride), nh × nw of them per image, receive exactly the taps (tkh[t], tkw[t]) with
 * kh ≡ ph + pad, kw ≡ pw + pad (mod stride): one GEMM per class over its taps. A class no tap
 * reaches (taps = 0) gets dx = 0. */
typedef struct {
    int taps, tkh[D4J_CONV_MAX_TAPS], tkw[D4J_CONV_MAX_TAPS];
    int64_t nh, nw;
} d4j_conv_residue;

static inline d4j_conv_residue d4j_conv_residue_class(const d4j_conv_shape* s, int ph, int pw) {
    const int st = s->stride;
    d4j_conv_residue r;
    r.taps = 0;
    for (int kh = 0; kh < s->k; kh++)
        for (int kw = 0; kw < s->k; kw++)
            if ((ph + s->pad - kh) % st == 0 && (pw + s->pad - kw) % st == 0) {
                r.tkh[r.taps] = kh;
                r.tkw[r.taps] = kw;
                r.taps++;
            }
    r.nh = ph < s->h ? (s->h - ph + st - 1) / st : 0;
    r.nw = pw < s->w ? (s->w - pw + st - 1) / st : 0;
    return r;
}

/* Each returns 0, or -1 when its scratch memory could not be allocated. */
/* y = conv(x, w) + bias (bias may be NULL) */
D4J_CPU_DECLARE(int, conv2d_forward, (float* y, const float* x, const float* w, const float* bias,
                                       const d4j_conv_shape* s))
/* dx = conv_transpose(dy, w), overwritten */
D4J_CPU_DECLARE(int, conv2d_backward_data, (float* dx, const float* dy, const float* w, const d4j_conv_shape* s))
/* dw += x ⋆ dy; dbias += Σ dy (dbias may be NULL) */
D4J_CPU_DECLARE(int, conv2d_backward_weights, (float* dw, float* dbias, const float* dy, const float* x,
                                                const d4j_conv_shape* s))

/* Validated raw pointers to the backend of ctx (shared by conv2d.c and linear.c). */
struct d4j_ctx;
/* y = conv + bias (+ residual, y's shape, when not NULL; never y) */
d4j_status d4j_conv2d_run_forward(const char* fn, d4j_ctx* ctx, float* y, const float* x, const float* w,
                                  const float* bias, const float* residual, const d4j_conv_shape* s);
d4j_status d4j_conv2d_run_backward_data(const char* fn, d4j_ctx* ctx, float* dx, const float* dy, const float* w,
                                        const d4j_conv_shape* s);
d4j_status d4j_conv2d_run_backward_weights(const char* fn, d4j_ctx* ctx, float* dw, float* dbias, const float* dy,
                                           const float* x, const d4j_conv_shape* s);

#ifdef __cplusplus
extern "C" {
#endif
d4j_status d4j_cuda_conv2d_forward(const char* fn, int ordinal, void* stream, float* y, const float* x,
                                   const float* w, const float* bias, const d4j_conv_shape* s);
d4j_status d4j_cuda_conv2d_backward_data(const char* fn, int ordinal, void* stream, float* dx, const float* dy,
                                         const float* w, const d4j_conv_shape* s);
d4j_status d4j_cuda_conv2d_backward_weights(const char* fn, int ordinal, void* stream, float* dw, float* dbias,
                                            const float* dy, const float* x, const d4j_conv_shape* s);
#ifdef __cplusplus
}
#endif

#endif /* D4J_CONV2D_H */
