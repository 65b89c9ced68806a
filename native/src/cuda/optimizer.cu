/*
 * optimizer.cu — AdamW, global-norm clipping and the weight EMA on CUDA, the
 * same per-element formulas as native/src/cpu/{adamw,clip_grad_norm,ema}.c.
 * One launch per tensor for now (a fused multi-tensor launch is issue 6's);
 * clipping keeps the norm on the device so the step needs no host sync.
 */
#include "../core/optimizer.h"
#include "cuda_check.h"

#define GRID_STRIDE(i, n) \
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n); i += (int64_t)gridDim.x * blockDim.x)

static __global__ void adamw_kernel(float* __restrict__ p, float* __restrict__ m, float* __restrict__ v,
                                    const float* __restrict__ g, int64_t n, d4j_adamw_step_params h) {
    const float decay = 1.0f - h.lr * h.weight_decay, c1 = 1.0f - h.beta1, c2 = 1.0f - h.beta2;
    GRID_STRIDE(i, n) {
        float gi = g[i];
        float mi = fmaf(h.beta1, m[i], c1 * gi);
        float vi = fmaf(h.beta2, v[i], c2 * gi * gi);
        m[i] = mi;
        v[i] = vi;
        float denom = fmaf(sqrtf(vi), h.bias2_sqrt_inv, h.eps);
        p[i] = fmaf(-h.step_size, mi / denom, p[i] * decay);
    }
}

static __global__ void sum_squares_kernel(float* __restrict__ sumsq, const float* __restrict__ g, int64_t n) {
    __shared__ float part[256];
    float s = 0.0f;
    GRID_STRIDE(i, n) s = fmaf(g[i], g[i], s);
    part[threadIdx.x] = s;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
        if (threadIdx.x < stride) part[threadIdx.x] += part[threadIdx.x + stride];
        __syncthreads();
    }
    if (threadIdx.x == 0) atomicAdd(sumsq, part[0]);
}

/* norm == NULL: reset the accumulator; else norm = sqrt(accumulator) */
static __global__ void clip_finish_kernel(float* norm, float* sumsq) {
    if (norm) norm[0] = sqrtf(sumsq[0]);
    else sumsq[0] = 0.0f;
}

static __global__ void clip_scale_kernel(float* __restrict__ g, int64_t n, const float* __restrict__ norm,
                                         float max_norm) {
    float coef = max_norm / (norm[0] + 1e-6f);
    if (coef >= 1.0f) return;
    GRID_STRIDE(i, n) g[i] *= coef;
}

static __global__ void ema_kernel(float* __restrict__ ema, const float* __restrict__ p, int64_t n, float decay) {
    const float rest = 1.0f - decay;
    GRID_STRIDE(i, n) ema[i] = fmaf(decay, ema[i], rest * p[i]);
}

extern "C" d4j_status d4j_cuda_adamw(const char* fn, int ordinal, void* stream, float* p, float* m, float* v,
                                     const float* g, int64_t n, const d4j_adamw_step_params* h) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    adamw_kernel<<<d4j_cuda_grid(n), D4J_CUDA_THREADS, 0, (cudaStream_t)stream>>>(p, m, v, g, n, *h);
    D4J_CUDA_TRY(fn, cudaGetLastError());
    return D4J_OK;
}

extern "C" d4j_status d4j_cuda_sum_squares(const char* fn, int ordinal, void* stream, float* sumsq, const float* g,
                                           int64_t n) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    unsigned grid = d4j_cuda_grid(n);
    sum_squares_kernel<<<grid > 1024 ? 1024 : grid, 256, 0, (cudaStream_t)stream>>>(sumsq, g, n);
    D4J_CUDA_TRY(fn, cudaGetLastError());
    return D4J_OK;
}

extern "C" d4j_status d4j_cuda_clip_finish(const char* fn, int ordinal, void* stream, float* norm, const float* sumsq) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    clip_finish_kernel<<<1, 1, 0, (cudaStream_t)stream>>>(norm, (float*)sumsq);
    D4J_CUDA_TRY(fn, cudaGetLastError());
    return D4J_OK;
}

extern "C" d4j_status d4j_cuda_clip_scale(const char* fn, int ordinal, void* stream, float* g, int64_t n,
                                          const float* norm, float max_norm) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    clip_scale_kernel<<<d4j_cuda_grid(n), D4J_CUDA_THREADS, 0, (cudaStream_t)stream>>>(g, n, norm, max_norm);
    D4J_CUDA_TRY(fn, cudaGetLastError());
    return D4J_OK;
}

extern "C" d4j_status d4j_cuda_ema(const char* fn, int ordinal, void* stream, float* ema, const float* p, int64_t n,
                                   float decay) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    ema_kernel<<<d4j_cuda_grid(n), D4J_CUDA_THREADS, 0, (cudaStream_t)stream>>>(ema, p, n, decay);
    D4J_CUDA_TRY(fn, cudaGetLastError());
    return D4J_OK;
}
