/*
 * per_sample.cuh — per-sample host values (q_sample's and axpby's coefficients,
 * the MSE's weights, keyed noise's ids) carried to a kernel as one kernel
 * parameter, D4J_CUDA_SAMPLE_CHUNK samples per launch: no host-to-device copy
 * and no synchronisation. 256 samples of two floats or one int64 are 2 KiB,
 * inside the classic 4 KiB parameter limit.
 */
#ifndef D4J_CUDA_PER_SAMPLE_CUH
#define D4J_CUDA_PER_SAMPLE_CUH

#include "cuda_check.h"

#define D4J_CUDA_SAMPLE_CHUNK 256

/* K values of type T for each sample of one launch. */
template <typename T, int K>
struct d4j_sample_chunk {
    T v[K][D4J_CUDA_SAMPLE_CHUNK]; /* v[k][s]: value k of sample first + s */
    int64_t first;                 /* batch index of the chunk's first sample */
    int count;                     /* samples in this launch */
};

/* Calls launch(chunk) for each chunk of the batch's samples, in order, until one fails;
 * src[k] holds value k of every sample (NULL: zeros). */
template <typename T, int K, typename Launch>
static d4j_status d4j_sample_chunks(int64_t batch, const T* const* src, Launch launch) {
    for (int64_t s0 = 0; s0 < batch; s0 += D4J_CUDA_SAMPLE_CHUNK) {
        d4j_sample_chunk<T, K> chunk;
        chunk.first = s0;
        chunk.count = (int)(batch - s0 < D4J_CUDA_SAMPLE_CHUNK ? batch - s0 : D4J_CUDA_SAMPLE_CHUNK);
        for (int k = 0; k < K; k++)
            for (int s = 0; s < chunk.count; s++) chunk.v[k][s] = src[k] ? src[k][s0 + s] : T(0);
        d4j_status st = launch(chunk);
        if (st != D4J_OK) return st;
    }
    return D4J_OK;
}

#endif /* D4J_CUDA_PER_SAMPLE_CUH */
