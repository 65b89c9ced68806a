/*
 * philox_fill.cu — normal and uniform Philox fills (CUDA). One thread per
 * Philox block of 4 elements, the same counters and math as the CPU backend
 * (core/philox.h), so the bits match.
 */
#include "../core/philox.h"
#include "../core/philox_fill.h"
#include "cuda_check.h"

/* Writes v[0..3] to dst[4q..4q+3], as one float4 store when all four exist
 * (allocations are 512-byte aligned, so 4q is 16-byte aligned). */
static __device__ __forceinline__ void store4(float* dst, int64_t q, int64_t n, const float v[4]) {
    int64_t e = 4 * q;
    if (e + 3 < n) {
        *reinterpret_cast<float4*>(dst + e) = make_float4(v[0], v[1], v[2], v[3]);
    } else {
        for (int lane = 0; lane < 4 && e + lane < n; lane++) dst[e + lane] = v[lane];
    }
}

static __global__ void fill_normal_kernel(float* __restrict__ dst, int64_t n, float mean, float std,
                                          uint64_t seed, uint64_t offset) {
    int64_t blocks = (n + 3) / 4;
    for (int64_t q = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; q < blocks;
         q += (int64_t)gridDim.x * blockDim.x) {
        float z[4];
        d4j_philox_normal4(z, seed, offset + (uint64_t)q);
        for (int lane = 0; lane < 4; lane++) z[lane] = fmaf(z[lane], std, mean);
        store4(dst, q, n, z);
    }
}

static __global__ void fill_uniform_kernel(float* __restrict__ dst, int64_t n, float low, float span,
                                           uint64_t seed, uint64_t offset) {
    int64_t blocks = (n + 3) / 4;
    for (int64_t q = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; q < blocks;
         q += (int64_t)gridDim.x * blockDim.x) {
        float u[4];
        d4j_philox_uniform4(u, seed, offset + (uint64_t)q);
        for (int lane = 0; lane < 4; lane++) u[lane] = fmaf(u[lane], span, low);
        store4(dst, q, n, u);
    }
}

extern "C" d4j_status d4j_cuda_fill_normal(const char* fn, int ordinal, void* stream, float* dst, int64_t n,
                                           float mean, float std, uint64_t seed, uint64_t offset) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    fill_normal_kernel<<<d4j_cuda_grid((n + 3) / 4), D4J_CUDA_THREADS, 0, (cudaStream_t)stream>>>(
        dst, n, mean, std, seed, offset);
    D4J_CUDA_TRY(fn, cudaGetLastError());
    return D4J_OK;
}

extern "C" d4j_status d4j_cuda_fill_uniform(const char* fn, int ordinal, void* stream, float* dst, int64_t n,
                                            float low, float span, uint64_t seed, uint64_t offset) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    fill_uniform_kernel<<<d4j_cuda_grid((n + 3) / 4), D4J_CUDA_THREADS, 0, (cudaStream_t)stream>>>(
        dst, n, low, span, seed, offset);
    D4J_CUDA_TRY(fn, cudaGetLastError());
    return D4J_OK;
}
