/* sampler_step.cu — the fused reverse-process update on CUDA; same math and noise bits as the CPU. */
#include "../core/philox.h"
#include "../core/sampler_math.h"
#include "../core/sampler_step.h"
#include "cuda_check.h"

static __global__ void sampler_step_kernel(float* __restrict__ x_prev, const float* __restrict__ x_t,
                                           const float* __restrict__ eps, const float* __restrict__ eps_uncond,
                                           int64_t n, d4j_step_coefficients c, uint64_t seed, uint64_t offset) {
    const int guided = eps_uncond != NULL;
    for (int64_t q = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; q < (n + 3) / 4;
         q += (int64_t)gridDim.x * blockDim.x) {
        float z[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        if (c.sigma != 0.0f) d4j_philox_normal4(z, seed, offset + (uint64_t)q);
        for (int lane = 0; lane < 4 && 4 * q + lane < n; lane++) {
            int64_t i = 4 * q + lane;
            x_prev[i] = d4j_sampler_update(x_t[i], eps[i], guided ? eps_uncond[i] : 0.0f, z[lane], &c, guided);
        }
    }
}

extern "C" d4j_status d4j_cuda_sampler_step(const char* fn, int ordinal, void* stream, float* x_prev, const float* x_t,
                                            const float* eps, const float* eps_uncond, int64_t n,
                                            const d4j_step_coefficients* c, uint64_t seed, uint64_t offset) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    sampler_step_kernel<<<d4j_cuda_grid((n + 3) / 4), D4J_CUDA_THREADS, 0, (cudaStream_t)stream>>>(
        x_prev, x_t, eps, eps_uncond, n, *c, seed, offset);
    D4J_CUDA_TRY(fn, cudaGetLastError());
    return D4J_OK;
}
