/*
 * mse_loss.cu — (per-sample weighted) mean-squared error on CUDA, summed in
 * float64 like the CPU (native/src/cpu/mse_loss.c) and in a fixed order, so the
 * loss has the same bits on every run: each block adds its grid-stride share to
 * one zeroed partial (writing the gradient on the way), launch after launch
 * when the weights come in chunks, then one block adds the partials.
 */
#include "../core/hd.h"
#include "../core/mse_loss.h"
#include "per_sample.cuh"
#include "reduce.cuh"

/* v[0][s]: the weight of each sample in the chunk */
typedef d4j_sample_chunk<float, 1> MseWeights;

/* Elements [begin, end) belong to this launch's samples, the first at `begin`; weighted when
 * given (weighted = 0: every weight 1, one launch over the batch). Each block adds its share
 * to its own partial, so launches queued on one stream sum in a fixed order.
 * dpred may be pred or target: each element is read before its gradient is written, by the same thread. */
static __global__ void mse_partial_kernel(double* __restrict__ partial, float* dpred, const float* pred,
                                          const float* target, const MseWeights weights, int weighted, int64_t begin,
                                          int64_t end, int64_t per_sample, float g) {
    __shared__ double sh[D4J_CUDA_THREADS];
    double s = 0.0;
    for (int64_t i = begin + blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < end;
         i += (int64_t)gridDim.x * blockDim.x) {
        float w = weighted ? weights.v[0][(i - begin) / per_sample] : 1.0f;
        float d = D4J_SUB(pred[i], target[i]);
        s += (double)w * ((double)d * (double)d);
        if (dpred) dpred[i] = D4J_MUL(D4J_MUL(g, w), d);
    }
    double total = block_sum(sh, s);
    if (threadIdx.x == 0) partial[blockIdx.x] += total;
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
                                        const float* pred, const float* target, const float* weights, int64_t batch,
                                        int64_t per_sample, double* scratch) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    cudaStream_t st = (cudaStream_t)stream;
    const int64_t n = batch * per_sample;
    const float g = 2.0f / (float)n;
    D4J_CUDA_TRY(fn, cudaMemsetAsync(scratch, 0, D4J_CUDA_MSE_BLOCKS * sizeof(double), st));
    auto launch = [&](const MseWeights& w, int weighted, int64_t first, int64_t count) {
        unsigned grid = d4j_cuda_grid(count * per_sample);
        if (grid > D4J_CUDA_MSE_BLOCKS) grid = D4J_CUDA_MSE_BLOCKS; /* each thread then loops */
        mse_partial_kernel<<<grid, D4J_CUDA_THREADS, 0, st>>>(scratch, dpred, pred, target, w, weighted,
                                                              first * per_sample, (first + count) * per_sample,
                                                              per_sample, g);
        return d4j_cuda_status(fn, cudaGetLastError(), "mse_partial_kernel launch");
    };
    /* unweighted: one launch over everything; weighted: one per chunk of samples */
    d4j_status status;
    if (weights) {
        status = d4j_sample_chunks<float, 1>(batch, &weights, [&](const MseWeights& w) {
            return launch(w, 1, w.first, w.count);
        });
    } else {
        MseWeights none = {};
        status = launch(none, 0, 0, batch);
    }
    if (status != D4J_OK) return status;
    mse_final_kernel<<<1, D4J_CUDA_THREADS, 0, st>>>(loss, scratch, D4J_CUDA_MSE_BLOCKS, n);
    D4J_CUDA_TRY(fn, cudaGetLastError());
    return D4J_OK;
}
