/*
 * conv2d_thin.h — kernel contract of the direct convolution for layers with few
 * channels on one side (a U-Net's image-space input and output convolutions:
 * 1, 2 or 3 channels against 32), stride 1; front door ops/conv2d.c. Same shapes
 * and semantics as conv2d.h. The 6×16 register tile of conv2d.c spends most of
 * its lanes on padding there; these kernels vectorize over the wide side.
 */
#ifndef D4J_CONV2D_THIN_H
#define D4J_CONV2D_THIN_H

#include "conv2d.h"

/* The widest "narrow" side: Cin or Cout up to this many channels. */
#define D4J_CONV_THIN_MAX 4

/* Whether the thin kernels run shape s: stride 1 and at most D4J_CONV_THIN_MAX channels on one side. */
static inline int d4j_conv2d_thin_applies(const d4j_conv_shape* s) {
    return s->stride == 1 && (s->cin <= D4J_CONV_THIN_MAX || s->cout <= D4J_CONV_THIN_MAX);
}

/* Each returns 0, or -1 when its scratch memory could not be allocated. */
/* y = conv(x, w) + bias (bias may be NULL) */
D4J_CPU_DECLARE(int, conv2d_thin_forward, (float* y, const float* x, const float* w, const float* bias,
                                            const d4j_conv_shape* s))
/* dx = conv_transpose(dy, w), overwritten */
D4J_CPU_DECLARE(int, conv2d_thin_backward_data, (float* dx, const float* dy, const float* w, const d4j_conv_shape* s))
/* dw += x ⋆ dy; dbias += Σ dy (dbias may be NULL) */
D4J_CPU_DECLARE(int, conv2d_thin_backward_weights, (float* dw, float* dbias, const float* dy, const float* x,
                                                     const d4j_conv_shape* s))

#endif /* D4J_CONV2D_THIN_H */
