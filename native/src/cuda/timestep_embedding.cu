/*
 * timestep_embedding.cu — sinusoidal timestep embedding on CUDA, float64 like
 * the CPU version (native/src/cpu/timestep_embedding.c). The timesteps ride in
 * the kernel parameters, D4J_CUDA_EMBED_CHUNK per launch: no copy, no sync.
 */
#include "../core/timestep_embedding.h"
#include "cuda_check.h"

struct Timesteps {
    int32_t t[D4J_CUDA_EMBED_CHUNK];
};

static __global__ void embed_kernel(float* __restrict__ out, const Timesteps ts, int64_t rows, int64_t dim,
                                    double log_period) {
    int64_t half = dim / 2;
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < rows * half;
         i += (int64_t)gridDim.x * blockDim.x) {
        int64_t n = i / half, k = i % half;
        double arg = (double)ts.t[n] * exp(-log_period * (double)k / (double)half);
        out[n * dim + k] = (float)cos(arg);
        out[n * dim + half + k] = (float)sin(arg);
    }
}

extern "C" d4j_status d4j_cuda_timestep_embedding(const char* fn, int ordinal, void* stream, float* out,
                                                  const int32_t* t, int64_t batch, int64_t dim, float max_period) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    for (int64_t n0 = 0; n0 < batch; n0 += D4J_CUDA_EMBED_CHUNK) {
        int64_t rows = batch - n0 < D4J_CUDA_EMBED_CHUNK ? batch - n0 : D4J_CUDA_EMBED_CHUNK;
        Timesteps ts = {};
        for (int64_t n = 0; n < rows; n++) ts.t[n] = t[n0 + n];
        embed_kernel<<<d4j_cuda_grid(rows * (dim / 2)), D4J_CUDA_THREADS, 0, (cudaStream_t)stream>>>(
            out + n0 * dim, ts, rows, dim, log((double)max_period));
        D4J_CUDA_TRY(fn, cudaGetLastError());
    }
    return D4J_OK;
}
