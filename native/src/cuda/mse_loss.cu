/*
 * mse_loss.cu — mean-squared error on CUDA, summed in float64 like the CPU
 * (native/src/cpu/mse_loss.c) and in a fixed order, so the loss has the same
 * bits on every run: each block sums its grid-stride share into one partial
 * (writing the gradient on the way), then one block adds the partials.
 */
#include "../core/hd.h"
#include "../core/mse_loss.h"
#include "cuda_check.h"

/* Shared-memory tree over the block's D4J_CUDA_THREADS values; thread 0 gets the total. */
static __device__ double block_sum(double* sh, double v) {
    sh[threadIdx.x] = v;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
        if (threadIdx.x < stride) sh[threadIdx.x] += sh[threadIdx.x + stride];
        __syncthreads();
    }
    return sh[0];
}

/* dpred may be pred or target: each element is read before its gradient is written, by the same thread. */
static __global__ void mse_partial_kernel(double* __restrict__ partial, float* dpred, const float* pred,
                                          const float* target, int64_t n) {
    __shared__ double sh[D4J_CUDA_THREADS];
    double s = 0.0;
    float g = 2.0f / (float)n;
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        float d = D4J_SUB(pred[i], target[i]);
        s += (double)d * (double)d;
        if (dpred) dpred[i] = D4J_MUL(g, d);
    }
    double total = block_sum(sh, s);
    if (threadIdx.x == 0) partial[blockIdx.x] = total;
}

static __global__ void mse_final_kernel(float* __restrict__ loss, const double* __restrict__ partial, int blocks,
                                        int64_t n) {
    __shared__ double sh[D4J_CUDA_THREADS];
    double s = 0.0;
    for (int i = threadIdx.x; i < blocks; i += blockDim.x) s += partial[i];
    double total = block_sum(sh, s);
    if (threadIdx.x == 0) *loss = (float)(total / (double)n);
}

extern "C" d4j_status d4j_cuda_mse_loss(const char* fn, int ordinal, void* stream, float* loss, float* dpred,
                                        const float* pred, const float* target, int64_t n, double* scratch) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    cudaStream_t st = (cudaStream_t)stream;
    unsigned grid = d4j_cuda_grid(n);
    if (grid > D4J_CUDA_MSE_BLOCKS) grid = D4J_CUDA_MSE_BLOCKS; /* each thread then loops */
    mse_partial_kernel<<<grid, D4J_CUDA_THREADS, 0, st>>>(scratch, dpred, pred, target, n);
    D4J_CUDA_TRY(fn, cudaGetLastError());
    mse_final_kernel<<<1, D4J_CUDA_THREADS, 0, st>>>(loss, scratch, (int)grid, n);
    D4J_CUDA_TRY(fn, cudaGetLastError());
    return D4J_OK;
}
