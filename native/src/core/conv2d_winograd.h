/*
 * conv2d_winograd.h — kernel contract of the Winograd F(m×m, 3×3) convolution,
 * m = 2 or 4 (Lavin & Gray 2016), on the CPU, for 3×3 stride-1 layers with pad
 * 0..2; front door ops/conv2d.c, which picks it and m per the context's
 * conv_algo. Same shapes and semantics as conv2d.h: x (N, H, W, Cin),
 * w (3, 3, Cin, Cout), y (N, Ho, Wo, Cout), Ho = H + 2 pad - 2.
 */
#ifndef D4J_CONV2D_WINOGRAD_H
#define D4J_CONV2D_WINOGRAD_H

#include "conv2d.h"

/* Whether the Winograd kernels can run shape s (3×3, stride 1). */
static inline int d4j_conv2d_winograd_applies(const d4j_conv_shape* s) { return s->k == 3 && s->stride == 1; }

/* m is the output tile, 2 or 4. Each returns 0, or -1 when its scratch memory could not be allocated. */
/* y = conv(x, w) + bias + residual (bias, residual may be NULL; residual has y's shape, and is
 * added last, as a separate add would) */
D4J_CPU_DECLARE(int, conv2d_winograd_forward, (float* y, const float* x, const float* w, const float* bias,
                                                const float* residual, const d4j_conv_shape* s, int m))
/* dx = conv_transpose(dy, w), overwritten */
D4J_CPU_DECLARE(int, conv2d_winograd_backward_data, (float* dx, const float* dy, const float* w,
                                                      const d4j_conv_shape* s, int m))
/* dw += x ⋆ dy; dbias += Σ dy (dbias may be NULL) */
D4J_CPU_DECLARE(int, conv2d_winograd_backward_weights, (float* dw, float* dbias, const float* dy, const float* x,
                                                         const d4j_conv_shape* s, int m))

#endif /* D4J_CONV2D_WINOGRAD_H */
