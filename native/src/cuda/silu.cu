/*
 * silu.cu — SiLU(x) = x·σ(x) and its derivative on CUDA, the same formulas
 * (shared expf.h) as native/src/cpu/silu.c: grid-stride kernels.
 */
#include "../core/expf.h"
#include "../core/silu.h"
#include "cuda_check.h"

static __global__ void silu_forward_kernel(float* __restrict__ y, const float* __restrict__ x, int64_t n) {
    D4J_GRID_STRIDE(i, n) y[i] = D4J_MUL(x[i], d4j_sigmoidf(x[i]));
}

static __global__ void silu_backward_kernel(float* __restrict__ dx, const float* __restrict__ dy,
                                            const float* __restrict__ x, int64_t n) {
    D4J_GRID_STRIDE(i, n) {
        float s = d4j_sigmoidf(x[i]);
        dx[i] = D4J_MUL(dy[i], D4J_MUL(s, fmaf(x[i], D4J_SUB(1.0f, s), 1.0f)));
    }
}

extern "C" d4j_status d4j_cuda_silu_forward(const char* fn, int ordinal, void* stream, float* y, const float* x,
                                            int64_t n) {
    D4J_CUDA_LAUNCH(silu_forward_kernel, n, y, x, n);
}

extern "C" d4j_status d4j_cuda_silu_backward(const char* fn, int ordinal, void* stream, float* dx, const float* dy,
                                             const float* x, int64_t n) {
    D4J_CUDA_LAUNCH(silu_backward_kernel, n, dx, dy, x, n);
}
