/*
 * mse_loss.cu — mean-squared error on CUDA: each block sums its squared
 * differences (float, tree in shared memory) and adds sum/n into the loss,
 * which is zeroed on the stream first; the gradient is written on the way.
 */
#include "../core/hd.h"
#include "../core/mse_loss.h"
#include "cuda_check.h"

static __global__ void mse_kernel(float* __restrict__ loss, float* __restrict__ dpred, const float* __restrict__ pred,
                                  const float* __restrict__ target, int64_t n) {
    __shared__ float partial[D4J_CUDA_THREADS];
    float s = 0.0f, g = 2.0f / (float)n;
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        float d = pred[i] - target[i];
        s = fmaf(d, d, s);
        if (dpred) dpred[i] = D4J_MUL(g, d);
    }
    partial[threadIdx.x] = s;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
        if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
        __syncthreads();
    }
    if (threadIdx.x == 0) atomicAdd(loss, partial[0] / (float)n);
}

extern "C" d4j_status d4j_cuda_mse_loss(const char* fn, int ordinal, void* stream, float* loss, float* dpred,
                                        const float* pred, const float* target, int64_t n) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    cudaStream_t st = (cudaStream_t)stream;
    D4J_CUDA_TRY(fn, cudaMemsetAsync(loss, 0, sizeof(float), st));
    unsigned grid = d4j_cuda_grid(n);
    if (grid > 1024) grid = 1024; /* fewer atomics; each thread then loops */
    mse_kernel<<<grid, D4J_CUDA_THREADS, 0, st>>>(loss, dpred, pred, target, n);
    D4J_CUDA_TRY(fn, cudaGetLastError());
    return D4J_OK;
}
