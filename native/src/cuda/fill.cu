/* fill.cu — dst[i] = value (CUDA). */
#include "../core/fill.h"
#include "cuda_check.h"

static __global__ void fill_kernel(float* __restrict__ dst, int64_t n, float value) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        dst[i] = value;
}

extern "C" d4j_status d4j_cuda_fill(const char* fn, int ordinal, void* stream, float* dst, int64_t n, float value) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    fill_kernel<<<d4j_cuda_grid(n), D4J_CUDA_THREADS, 0, (cudaStream_t)stream>>>(dst, n, value);
    D4J_CUDA_TRY(fn, cudaGetLastError());
    return D4J_OK;
}
