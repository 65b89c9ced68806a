/*
 * global_avg_pool.h — kernel contract of global average pooling over an NHWC map
 * (ops/global_avg_pool.c; kernels in cpu/global_avg_pool.c, cuda/global_avg_pool.cu).
 * The forward is the per-sample pixel sum of add_per_sample.h divided by the pixel count;
 * both backends sum the pixels in order, so their results have the same bits.
 */
#ifndef D4J_GLOBAL_AVG_POOL_H
#define D4J_GLOBAL_AVG_POOL_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"

/* x (n, p, c) over P = H·W pixels -> y (n, c): y = (Σ_p x) / P; dx[n, p, c] = dy[n, c] / P */
D4J_CPU_DECLARE(void, global_avg_pool_forward, (float* y, const float* x, int64_t n, int64_t p, int64_t c))
D4J_CPU_DECLARE(void, global_avg_pool_backward, (float* dx, const float* dy, int64_t n, int64_t p, int64_t c))

#ifdef __cplusplus
extern "C" {
#endif
d4j_status d4j_cuda_global_avg_pool_forward(const char* fn, int ordinal, void* stream, float* y, const float* x,
                                            int64_t n, int64_t p, int64_t c);
d4j_status d4j_cuda_global_avg_pool_backward(const char* fn, int ordinal, void* stream, float* dx, const float* dy,
                                             int64_t n, int64_t p, int64_t c);
#ifdef __cplusplus
}
#endif

#endif /* D4J_GLOBAL_AVG_POOL_H */
