/*
 * conv2d_bf16.h — kernel contract of the bf16 mixed-precision 2-D convolution
 * (front door ops/conv2d_bf16.c, reached from ops/conv2d.c and so from linear
 * layers too when a CPU context's precision is D4J_PRECISION_BF16).
 * Shapes and semantics are those of conv2d.h: x (N, H, W, Cin), w (K, K, Cin,
 * Cout), y (N, Ho, Wo, Cout), float32 in and out. The operands of every product
 * (x, w, dy) are rounded to bfloat16 (round to nearest even), the products are
 * summed in float32; the bias and its gradient stay float32 throughout.
 *
 * Two implementations: VDPBF16PS tiles (cpu/conv2d_bf16.c) and AMX tiles
 * (cpu/conv2d_amx.c, where d4j_cpu_amx() is 1); the same roundings and products,
 * the float32 sums in another order. Only the AVX-512 build has these kernels (VDPBF16PS, VCVTNE2PS2BF16): there is
 * no _avx2 or _generic symbol, so nothing can reach a bf16 kernel that the CPU
 * cannot run. d4j_ctx_set_precision accepts BF16 only where d4j_cpu_level() is
 * D4J_CPU_AVX512, and the front door checks it again.
 */
#ifndef D4J_CONV2D_BF16_H
#define D4J_CONV2D_BF16_H

#include "conv2d.h"

/* Each returns 0, or -1 when its scratch memory could not be allocated. */
/* y = conv(bf16(x), bf16(w)) + bias (bias may be NULL) */
int d4j_cpu_conv2d_bf16_forward_avx512(float* y, const float* x, const float* w, const float* bias,
                                       const d4j_conv_shape* s);
/* dx = conv_transpose(bf16(dy), bf16(w)), overwritten */
int d4j_cpu_conv2d_bf16_backward_data_avx512(float* dx, const float* dy, const float* w, const d4j_conv_shape* s);
/* dw += bf16(x) ⋆ bf16(dy); dbias += Σ dy in float32 (dbias may be NULL) */
int d4j_cpu_conv2d_bf16_backward_weights_avx512(float* dw, float* dbias, const float* dy, const float* x,
                                                const d4j_conv_shape* s);

/* The same three on AMX tiles (cpu/conv2d_amx.c, AVX-512 build only; the front door takes them where
 * d4j_cpu_amx() is 1). Same contracts and return values. */
int d4j_cpu_conv2d_amx_forward_avx512(float* y, const float* x, const float* w, const float* bias,
                                      const d4j_conv_shape* s);
int d4j_cpu_conv2d_amx_backward_data_avx512(float* dx, const float* dy, const float* w, const d4j_conv_shape* s);
int d4j_cpu_conv2d_amx_backward_weights_avx512(float* dw, float* dbias, const float* dy, const float* x,
                                               const d4j_conv_shape* s);

/* Front door (ops/conv2d_bf16.c): the kernels above behind a check that the AVX-512 build runs. */
struct d4j_ctx;
d4j_status d4j_conv2d_bf16_run_forward(const char* fn, float* y, const float* x, const float* w, const float* bias,
                                       const d4j_conv_shape* s);
d4j_status d4j_conv2d_bf16_run_backward_data(const char* fn, float* dx, const float* dy, const float* w,
                                             const d4j_conv_shape* s);
d4j_status d4j_conv2d_bf16_run_backward_weights(const char* fn, float* dw, float* dbias, const float* dy,
                                                const float* x, const d4j_conv_shape* s);

#endif /* D4J_CONV2D_BF16_H */
