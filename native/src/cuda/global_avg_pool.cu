/*
 * global_avg_pool.cu — global average pooling and its gradient on CUDA, as
 * native/src/cpu/global_avg_pool.c: the per-sample pixel sum (add_per_sample.cu,
 * pixels in order) then a division, and an elementwise spread of dy / P.
 */
#include "../core/add_per_sample.h" /* d4j_cuda_sum_per_sample */
#include "../core/global_avg_pool.h"
#include "../core/hd.h"
#include "cuda_check.h"

static __global__ void divide_kernel(float* __restrict__ y, int64_t count, float pf) {
    D4J_GRID_STRIDE(i, count) y[i] = y[i] / pf;
}

static __global__ void spread_kernel(float* __restrict__ dx, const float* __restrict__ dy, int64_t n, int64_t p,
                                     int64_t c, float pf) {
    D4J_GRID_STRIDE(i, n * p * c) dx[i] = dy[(i / (p * c)) * c + i % c] / pf;
}

extern "C" d4j_status d4j_cuda_global_avg_pool_forward(const char* fn, int ordinal, void* stream, float* y,
                                                       const float* x, int64_t n, int64_t p, int64_t c) {
    D4J_TRY(d4j_cuda_sum_per_sample(fn, ordinal, stream, y, x, n, p, c));
    D4J_CUDA_LAUNCH(divide_kernel, n * c, y, n * c, (float)p);
}

extern "C" d4j_status d4j_cuda_global_avg_pool_backward(const char* fn, int ordinal, void* stream, float* dx,
                                                        const float* dy, int64_t n, int64_t p, int64_t c) {
    D4J_CUDA_LAUNCH(spread_kernel, n * p * c, dx, dy, n, p, c, (float)p);
}
