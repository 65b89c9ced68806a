/*
 * gaussian_kl.cu — KL(N(μ, e^ℓ) ‖ N(0, I)) summed over a latent and its gradient on CUDA, the
 * element formulas of core/latent_gaussian.h (as the CPU, native/src/cpu/gaussian_kl.c), summed in
 * float64 in a fixed order: each block sums its grid-stride share of the positions into its own
 * zeroed partial (writing the gradient on the way), then one block adds the partials.
 */
#include "../core/gaussian_kl.h"
#include "../core/latent_gaussian.h"
#include "cuda_check.h"
#include "reduce.cuh"

/* one thread per element (position i, channel c); dmoments may be moments: each thread reads its
 * μ and ℓ before it writes their gradients, and no other thread touches them */
static __global__ void kl_partial_kernel(double* __restrict__ partial, float* dmoments, const float* moments,
                                         int64_t positions, int64_t channels, float g) {
    __shared__ double sh[D4J_CUDA_THREADS];
    double s = 0.0;
    int64_t n = positions * channels;
    for (int64_t j = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; j < n; j += (int64_t)gridDim.x * blockDim.x) {
        int64_t i = j / channels, c = j - i * channels;
        int64_t m = i * 2 * channels + c;
        float mu = moments[m], l = moments[m + channels];
        s += d4j_latent_kl_element(mu, l);
        if (dmoments) {
            dmoments[m] = D4J_MUL(g, mu);
            dmoments[m + channels] = D4J_MUL(g, d4j_latent_kl_dlogvar(l));
        }
    }
    double total = block_sum(sh, s);
    if (threadIdx.x == 0) partial[blockIdx.x] = total;
}

static __global__ void kl_final_kernel(float* __restrict__ loss, const double* __restrict__ partial, int blocks,
                                       double scale) {
    __shared__ double sh[D4J_CUDA_THREADS];
    double s = 0.0;
    for (int i = threadIdx.x; i < blocks; i += blockDim.x) s += partial[i];
    double total = block_sum(sh, s);
    if (threadIdx.x == 0) *loss = (float)(scale * total);
}

extern "C" d4j_status d4j_cuda_gaussian_kl(const char* fn, int ordinal, void* stream, float* loss, float* dmoments,
                                           const float* moments, int64_t positions, int64_t channels, double scale,
                                           double* scratch) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    cudaStream_t st = (cudaStream_t)stream;
    D4J_CUDA_TRY(fn, cudaMemsetAsync(scratch, 0, D4J_CUDA_KL_BLOCKS * sizeof(double), st));
    unsigned grid = d4j_cuda_grid(positions * channels);
    if (grid > D4J_CUDA_KL_BLOCKS) grid = D4J_CUDA_KL_BLOCKS; /* each thread then loops */
    if (grid < 1) grid = 1;
    kl_partial_kernel<<<grid, D4J_CUDA_THREADS, 0, st>>>(scratch, dmoments, moments, positions, channels,
                                                         (float)scale);
    D4J_CUDA_TRY(fn, cudaGetLastError());
    kl_final_kernel<<<1, D4J_CUDA_THREADS, 0, st>>>(loss, scratch, D4J_CUDA_KL_BLOCKS, scale);
    D4J_CUDA_TRY(fn, cudaGetLastError());
    return D4J_OK;
}
