/*
 * latent_sample.cu — the reparameterisation trick on a latent (CUDA), as the CPU
 * (native/src/cpu/latent_sample.c) with core/latent_gaussian.h's formulas:
 *   forward  z = μ + e^{ℓ/2} ε, ε Philox normals (counters as fill_normal over eps), or z = μ;
 *   backward dμ += dz, dℓ += ½ dz e^{ℓ/2} ε (0 where ℓ is clamped).
 * The forward runs one thread per Philox block of 4 latent elements.
 */
#include "../core/latent_gaussian.h"
#include "../core/latent_sample.h"
#include "../core/philox.h"
#include "cuda_check.h"

static __global__ void latent_sample_forward_kernel(float* __restrict__ z, float* __restrict__ eps,
                                                    const float* __restrict__ moments, int64_t positions,
                                                    int64_t channels, uint64_t seed, uint64_t offset) {
    int64_t n = positions * channels, quads = (n + 3) / 4;
    for (int64_t q = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; q < quads; q += (int64_t)gridDim.x * blockDim.x) {
        float e[4];
        if (eps) d4j_philox_normal4(e, seed, offset + (uint64_t)q);
        for (int lane = 0; lane < 4; lane++) {
            int64_t j = 4 * q + lane;
            if (j >= n) break;
            int64_t i = j / channels, c = j - i * channels;
            float mu = moments[i * 2 * channels + c];
            if (eps) {
                eps[j] = e[lane];
                z[j] = fmaf(d4j_latent_std(moments[i * 2 * channels + channels + c]), e[lane], mu);
            } else {
                z[j] = mu;
            }
        }
    }
}

static __global__ void latent_sample_backward_kernel(float* __restrict__ dmoments, const float* __restrict__ dz,
                                                     const float* __restrict__ eps, const float* __restrict__ moments,
                                                     int64_t positions, int64_t channels) {
    int64_t n = positions * channels;
    for (int64_t j = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; j < n; j += (int64_t)gridDim.x * blockDim.x) {
        int64_t i = j / channels, c = j - i * channels;
        int64_t m = i * 2 * channels + c;
        float g = dz[j];
        dmoments[m] = D4J_ADD(dmoments[m], g);
        if (eps) {
            float l = moments[m + channels];
            float d = D4J_MUL(D4J_MUL(D4J_MUL(0.5f, g), d4j_latent_std(l)), eps[j]);
            dmoments[m + channels] = D4J_ADD(dmoments[m + channels], d4j_latent_logvar_grad(l, d));
        }
    }
}

extern "C" d4j_status d4j_cuda_latent_sample_forward(const char* fn, int ordinal, void* stream, float* z, float* eps,
                                                     const float* moments, int64_t positions, int64_t channels,
                                                     uint64_t seed, uint64_t offset) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    latent_sample_forward_kernel<<<d4j_cuda_grid((positions * channels + 3) / 4), D4J_CUDA_THREADS, 0,
                                   (cudaStream_t)stream>>>(z, eps, moments, positions, channels, seed, offset);
    return d4j_cuda_status(fn, cudaGetLastError(), "latent_sample_forward_kernel launch");
}

extern "C" d4j_status d4j_cuda_latent_sample_backward(const char* fn, int ordinal, void* stream, float* dmoments,
                                                      const float* dz, const float* eps, const float* moments,
                                                      int64_t positions, int64_t channels) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    latent_sample_backward_kernel<<<d4j_cuda_grid(positions * channels), D4J_CUDA_THREADS, 0,
                                    (cudaStream_t)stream>>>(dmoments, dz, eps, moments, positions, channels);
    return d4j_cuda_status(fn, cudaGetLastError(), "latent_sample_backward_kernel launch");
}
