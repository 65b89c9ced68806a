/* dropout.cu — dropout with a Philox mask on CUDA; the same mask bits as native/src/cpu/dropout.c. */
#include "../core/dropout.h"
#include "../core/philox.h"
#include "cuda_check.h"

static __global__ void dropout_kernel(float* __restrict__ out, const float* __restrict__ in, int64_t n, float p,
                                      float scale, uint64_t seed, uint64_t offset) {
    for (int64_t q = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; q < (n + 3) / 4;
         q += (int64_t)gridDim.x * blockDim.x) {
        float u[4];
        d4j_philox_uniform4(u, seed, offset + (uint64_t)q);
        for (int lane = 0; lane < 4 && 4 * q + lane < n; lane++) {
            int64_t i = 4 * q + lane;
            out[i] = u[lane] >= p ? D4J_MUL(in[i], scale) : 0.0f;
        }
    }
}

extern "C" d4j_status d4j_cuda_dropout(const char* fn, int ordinal, void* stream, float* out, const float* in,
                                       int64_t n, float p, float scale, uint64_t seed, uint64_t offset) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    dropout_kernel<<<d4j_cuda_grid((n + 3) / 4), D4J_CUDA_THREADS, 0, (cudaStream_t)stream>>>(out, in, n, p, scale,
                                                                                              seed, offset);
    D4J_CUDA_TRY(fn, cudaGetLastError());
    return D4J_OK;
}
