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
d4j_status d4j_conv2d_run_forward(const char* fn, d4j_ctx* ctx, float* y, const float* x, const float* w,
                                  const float* bias, const d4j_conv_shape* s);
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
