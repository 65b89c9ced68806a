/*
 * softmax_cross_entropy.cu — the softmax cross-entropy loss on CUDA: one thread per row
 * running the shared d4j_softmax_ce_row (the CPU's formulas, so each row's loss and
 * gradient have the CPU's bits), the labels carried 256 at a time as a kernel parameter.
 * Each launch is one block of 256 rows; its float64 tree sum is added to one accumulator,
 * launch after launch on the stream, so the loss has the same bits on every run.
 */
#include "../core/softmax_cross_entropy.h"
#include "per_sample.cuh"
#include "reduce.cuh"

typedef d4j_sample_chunk<int32_t, 1> CeLabels;

static_assert(D4J_CUDA_SAMPLE_CHUNK == D4J_CUDA_THREADS, "one thread per row of a chunk");

/* rows [labels.first, labels.first + labels.count); the last launch writes the mean */
static __global__ void softmax_ce_kernel(float* __restrict__ loss, double* __restrict__ acc, float* d, const float* x,
                                         const CeLabels labels, int64_t k, int64_t n, int last) {
    __shared__ double sh[D4J_CUDA_THREADS];
    double v = 0.0;
    if ((int)threadIdx.x < labels.count) {
        int64_t r = labels.first + threadIdx.x;
        v = d4j_softmax_ce_row(d ? d + r * k : NULL, x + r * k, labels.v[0][threadIdx.x], k, (float)n);
    }
    double total = block_sum(sh, v);
    if (threadIdx.x == 0) {
        double a = *acc + total;
        *acc = a;
        if (last) *loss = (float)(a / (double)n);
    }
}

extern "C" d4j_status d4j_cuda_softmax_cross_entropy(const char* fn, int ordinal, void* stream, float* loss,
                                                     float* dlogits, const float* logits, const int32_t* labels,
                                                     int64_t n, int64_t k, double* scratch) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    cudaStream_t st = (cudaStream_t)stream;
    D4J_CUDA_TRY(fn, cudaMemsetAsync(scratch, 0, sizeof(double), st));
    return d4j_sample_chunks<int32_t, 1>(n, &labels, [&](const CeLabels& c) {
        softmax_ce_kernel<<<1, D4J_CUDA_THREADS, 0, st>>>(loss, scratch, dlogits, logits, c, k, n,
                                                          c.first + c.count == n);
        return d4j_cuda_status(fn, cudaGetLastError(), "softmax_ce_kernel launch");
    });
}
