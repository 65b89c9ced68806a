/*
 * pointwise.h — internal declarations of the U-Net's memory-bound glue ops:
 * SiLU, elementwise add, nearest 2× upsampling, channel concatenation
 * (silu.c, add.c, upsample.c, concat.c). Shapes are NHWC.
 */
#ifndef D4J_POINTWISE_H
#define D4J_POINTWISE_H

#include "backend_cpu.h"
#include "d4j.h"

D4J_CPU_DECLARE(void, silu_forward, (float* y, const float* x, int64_t n))
D4J_CPU_DECLARE(void, silu_backward, (float* dx, const float* dy, const float* x, int64_t n))
D4J_CPU_DECLARE(void, add, (float* y, const float* a, const float* b, int64_t n))
/* x (rows = N·H, W, C) -> y (N, 2H, 2W, C) */
D4J_CPU_DECLARE(void, upsample2x_forward, (float* y, const float* x, int64_t rows, int64_t w, int64_t c))
D4J_CPU_DECLARE(void, upsample2x_backward, (float* dx, const float* dy, int64_t rows, int64_t w, int64_t c))
/* y[n, p, c] = x[n, p, c] + b[n, c] over P pixels per sample; db[n, c] = Σ_p dy[n, p, c] */
D4J_CPU_DECLARE(void, add_per_sample, (float* y, const float* x, const float* b, int64_t n, int64_t p, int64_t c))
D4J_CPU_DECLARE(void, sum_per_sample, (float* db, const float* dy, int64_t n, int64_t p, int64_t c))
/* a (P, ca), b (P, cb) <-> y (P, ca + cb), P pixels */
D4J_CPU_DECLARE(void, concat_forward, (float* y, const float* a, const float* b, int64_t pixels, int64_t ca, int64_t cb))
D4J_CPU_DECLARE(void, concat_backward, (float* da, float* db, const float* dy, int64_t pixels, int64_t ca, int64_t cb))

#ifdef __cplusplus
extern "C" {
#endif
d4j_status d4j_cuda_silu_forward(const char* fn, int ordinal, void* stream, float* y, const float* x, int64_t n);
d4j_status d4j_cuda_silu_backward(const char* fn, int ordinal, void* stream, float* dx, const float* dy,
                                  const float* x, int64_t n);
d4j_status d4j_cuda_add(const char* fn, int ordinal, void* stream, float* y, const float* a, const float* b, int64_t n);
d4j_status d4j_cuda_add_per_sample(const char* fn, int ordinal, void* stream, float* y, const float* x,
                                   const float* b, int64_t n, int64_t p, int64_t c);
d4j_status d4j_cuda_sum_per_sample(const char* fn, int ordinal, void* stream, float* db, const float* dy, int64_t n,
                                   int64_t p, int64_t c);
d4j_status d4j_cuda_upsample2x_forward(const char* fn, int ordinal, void* stream, float* y, const float* x,
                                       int64_t rows, int64_t w, int64_t c);
d4j_status d4j_cuda_upsample2x_backward(const char* fn, int ordinal, void* stream, float* dx, const float* dy,
                                        int64_t rows, int64_t w, int64_t c);
d4j_status d4j_cuda_concat_forward(const char* fn, int ordinal, void* stream, float* y, const float* a,
                                   const float* b, int64_t pixels, int64_t ca, int64_t cb);
d4j_status d4j_cuda_concat_backward(const char* fn, int ordinal, void* stream, float* da, float* db,
                                    const float* dy, int64_t pixels, int64_t ca, int64_t cb);
#ifdef __cplusplus
}
#endif

#endif /* D4J_POINTWISE_H */
