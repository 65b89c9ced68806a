/*
 * clip_grad_norm.cu — multi-tensor global-norm gradient clipping on CUDA, the
 * same per-element formulas as native/src/cpu/clip_grad_norm.c; one launch
 * per table of tensors (tensor_table.cuh).
 * Clipping keeps the norm on the device (no host sync) and sums in float64 in
 * a fixed order (per-block partials, then one block), like the CPU's float64
 * sum: the norm has the same bits on every run.
 */
#include "../core/clip_grad_norm.h"
#include "cuda_check.h"
#include "reduce.cuh"
#include "tensor_table.cuh"

static __global__ void sum_squares_kernel(double* __restrict__ partials, const __grid_constant__ d4j_tensor_table t) {
    __shared__ double sh[D4J_CUDA_THREADS];
    double s = 0.0;
    for_each_element(t, [&](int k, int64_t i) {
        double g = t.data[0][k][i];
        s += __dmul_rn(g, g); /* not fused: the CPU's (double)g·g */
    });
    double total = block_sum(sh, s);
    if (threadIdx.x == 0) partials[blockIdx.x] = total;
}

static __global__ void clip_finish_kernel(float* __restrict__ norm, float* __restrict__ coef,
                                          const double* __restrict__ partials, int64_t count, float max_norm) {
    __shared__ double sh[D4J_CUDA_THREADS];
    double s = 0.0;
    for (int64_t i = threadIdx.x; i < count; i += blockDim.x) s += partials[i];
    double total = sqrt(block_sum(sh, s));
    if (threadIdx.x == 0) {
        double c = (double)max_norm / (total + 1e-6); /* PyTorch's clip_grad_norm_, as on the CPU */
        norm[0] = (float)total;
        coef[0] = c < 1.0 ? (float)c : 1.0f;
    }
}

static __global__ void clip_scale_kernel(const __grid_constant__ d4j_tensor_table t, const float* __restrict__ coef) {
    const float c = coef[0];
    if (!(c < 1.0f)) return; /* within the limit (or a NaN norm, which the CPU leaves alone too) */
    for_each_element(t, [&](int k, int64_t i) { t.data[0][k][i] *= c; });
}

extern "C" d4j_status d4j_cuda_sum_squares(const char* fn, int ordinal, void* stream, double* partials, int* blocks,
                                           const d4j_tensor_table* t) {
    *blocks = (int)table_grid(*t);
    D4J_CUDA_LAUNCH(sum_squares_kernel, table_threads(*t), partials, *t);
}

extern "C" d4j_status d4j_cuda_clip_finish(const char* fn, int ordinal, void* stream, float* norm, float* coef,
                                           const double* partials, int64_t count, float max_norm) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    clip_finish_kernel<<<1, D4J_CUDA_THREADS, 0, (cudaStream_t)stream>>>(norm, coef, partials, count, max_norm);
    D4J_CUDA_TRY(fn, cudaGetLastError());
    return D4J_OK;
}

extern "C" d4j_status d4j_cuda_clip_scale(const char* fn, int ordinal, void* stream, const d4j_tensor_table* t,
                                          const float* coef) {
    D4J_CUDA_LAUNCH(clip_scale_kernel, table_threads(*t), *t, coef);
}
