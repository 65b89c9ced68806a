/*
 * q_sample.cu — the forward process q(x_t|x_0) in one pass (CUDA):
 *   eps = z (Philox normals, counters as d4j_fill_normal),  x_t = a[s] x_0 + b[s] eps
 * (DDPM eq. 4). One thread per Philox block of 4 elements. The per-sample
 * coefficients ride in the kernel parameters, a chunk of samples per launch
 * (per_sample.cuh), so no host-to-device copy (and no sync) is needed.
 */
#include "../core/philox.h"
#include "../core/q_sample.h"
#include "per_sample.cuh"

/* v[0][s] = sqrt(abar_t), v[1][s] = sqrt(1 - abar_t) of each sample in the chunk */
typedef d4j_sample_chunk<float, 2> QCoefficients;

/* Elements [begin, end) belong to this launch's samples, the first at `begin`. */
static __global__ void q_sample_kernel(float* __restrict__ x_t, float* __restrict__ eps,
                                       const float* __restrict__ x_0, const QCoefficients coef,
                                       int64_t begin, int64_t end, int64_t per_sample, uint64_t seed,
                                       uint64_t offset) {
    int64_t first_q = begin / 4;
    int64_t quads = (end + 3) / 4 - first_q;
    for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < quads;
         k += (int64_t)gridDim.x * blockDim.x) {
        int64_t q = first_q + k;
        float z[4];
        d4j_philox_normal4(z, seed, offset + (uint64_t)q);
        int64_t e = 4 * q;
        if (e >= begin && e + 3 < end && (e - begin) / per_sample == (e + 3 - begin) / per_sample) {
            int s = (int)((e - begin) / per_sample);
            float a = coef.v[0][s], b = coef.v[1][s];
            float4 x = *reinterpret_cast<const float4*>(x_0 + e);
            float4 o = make_float4(fmaf(a, x.x, D4J_MUL(b, z[0])), fmaf(a, x.y, D4J_MUL(b, z[1])),
                                   fmaf(a, x.z, D4J_MUL(b, z[2])), fmaf(a, x.w, D4J_MUL(b, z[3])));
            *reinterpret_cast<float4*>(eps + e) = make_float4(z[0], z[1], z[2], z[3]);
            *reinterpret_cast<float4*>(x_t + e) = o;
        } else { /* quad straddles a sample or launch boundary */
            for (int lane = 0; lane < 4; lane++) {
                int64_t i = e + lane;
                if (i < begin || i >= end) continue;
                int s = (int)((i - begin) / per_sample);
                eps[i] = z[lane];
                x_t[i] = fmaf(coef.v[0][s], x_0[i], D4J_MUL(coef.v[1][s], z[lane]));
            }
        }
    }
}

extern "C" d4j_status d4j_cuda_q_sample(const char* fn, int ordinal, void* stream, float* x_t, float* eps,
                                        const float* x_0, const float* a, const float* b, int64_t batch,
                                        int64_t per_sample, uint64_t seed, uint64_t offset) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    const float* coefficients[2] = {a, b};
    return d4j_sample_chunks<float, 2>(batch, coefficients, [&](const QCoefficients& coef) {
        int64_t begin = coef.first * per_sample, end = (coef.first + coef.count) * per_sample;
        int64_t quads = (end + 3) / 4 - begin / 4;
        q_sample_kernel<<<d4j_cuda_grid(quads), D4J_CUDA_THREADS, 0, (cudaStream_t)stream>>>(
            x_t, eps, x_0, coef, begin, end, per_sample, seed, offset);
        return d4j_cuda_status(fn, cudaGetLastError(), "q_sample_kernel launch");
    });
}
