/*
 * axpby.cu — out = a[n]·x + b[n]·y per sample n on CUDA, the CPU's element
 * function. The coefficients ride in the kernel parameters, a chunk of samples
 * per launch (per_sample.cuh, as q_sample.cu does), so no host-to-device copy
 * is needed.
 */
#include "../core/axpby.h"
#include "per_sample.cuh"

/* v[0][s] = a, v[1][s] = b of each sample in the chunk */
typedef d4j_sample_chunk<float, 2> AxpbyCoefficients;

/* The chunk's samples: elements [first·per_sample, (first + count)·per_sample). */
static __global__ void axpby_kernel(float* out, const float* x, const float* y, const AxpbyCoefficients coef,
                                    int64_t per_sample) {
    const int has_y = y != NULL;
    const int64_t begin = coef.first * per_sample;
    D4J_GRID_STRIDE(k, coef.count * per_sample) {
        int s = (int)(k / per_sample);
        int64_t i = begin + k;
        out[i] = d4j_axpby_element(x[i], has_y ? y[i] : 0.0f, coef.v[0][s], coef.v[1][s], has_y);
    }
}

extern "C" d4j_status d4j_cuda_axpby(const char* fn, int ordinal, void* stream, float* out, const float* x,
                                     const float* y, const float* a, const float* b, int64_t batch,
                                     int64_t per_sample) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    const float* coefficients[2] = {a, y ? b : NULL};
    return d4j_sample_chunks<float, 2>(batch, coefficients, [&](const AxpbyCoefficients& coef) {
        axpby_kernel<<<d4j_cuda_grid(coef.count * per_sample), D4J_CUDA_THREADS, 0, (cudaStream_t)stream>>>(
            out, x, y, coef, per_sample);
        return d4j_cuda_status(fn, cudaGetLastError(), "axpby_kernel launch");
    });
}
