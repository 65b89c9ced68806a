/*
 * add_per_sample.cu — the per-sample broadcast add and its pixel-sum gradient
 * on CUDA, as native/src/cpu/add_per_sample.c: grid-stride kernels.
 */
#include "../core/hd.h"
#include "../core/add_per_sample.h"
#include "cuda_check.h"

static __global__ void add_per_sample_kernel(float* y, const float* x, const float* __restrict__ b, int64_t n,
                                             int64_t p, int64_t c) {
    D4J_GRID_STRIDE(i, n * p * c) y[i] = D4J_ADD(x[i], b[(i / (p * c)) * c + i % c]);
}

/* one thread per (sample, channel); pixels summed in order, as on the CPU */
static __global__ void sum_per_sample_kernel(float* __restrict__ db, const float* __restrict__ dy, int64_t n, int64_t p,
                                             int64_t c) {
    D4J_GRID_STRIDE(i, n * c) {
        int64_t s = i / c, ch = i % c;
        float acc = 0.0f;
        for (int64_t q = 0; q < p; q++) acc = D4J_ADD(acc, dy[(s * p + q) * c + ch]);
        db[i] = acc;
    }
}

extern "C" d4j_status d4j_cuda_add_per_sample(const char* fn, int ordinal, void* stream, float* y, const float* x,
                                              const float* b, int64_t n, int64_t p, int64_t c) {
    D4J_CUDA_LAUNCH(add_per_sample_kernel, n * p * c, y, x, b, n, p, c);
}

extern "C" d4j_status d4j_cuda_sum_per_sample(const char* fn, int ordinal, void* stream, float* db, const float* dy,
                                              int64_t n, int64_t p, int64_t c) {
    D4J_CUDA_LAUNCH(sum_per_sample_kernel, n * c, db, dy, n, p, c);
}
