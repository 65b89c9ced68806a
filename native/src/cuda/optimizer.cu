/*
 * optimizer.cu — AdamW, global-norm clipping and the weight EMA on CUDA, the
 * same per-element formulas as native/src/cpu/{adamw,clip_grad_norm,ema}.c.
 * Multi-tensor launches: a table of up to D4J_TABLE_TENSORS tensors travels as
 * one kernel parameter, their elements laid end to end; each block takes
 * chunks of that index space (a chunk may span tensors), so a model's few
 * hundred parameter tensors cost a handful of launches, not one each.
 * Clipping keeps the norm on the device (no host sync) and sums in float64 in
 * a fixed order (per-block partials, then one block), like the CPU's float64
 * sum: the norm has the same bits on every run.
 */
#include "../core/hd.h"
#include "../core/optimizer.h"
#include "cuda_check.h"
#include "reduce.cuh"

#define CHUNK 4096 /* elements of the table's index space per block and turn */

/* Blocks of a table launch: one per chunk, at most D4J_CUDA_TABLE_BLOCKS. */
static unsigned table_grid(const d4j_tensor_table& t) {
    int64_t chunks = (t.start[t.count] + CHUNK - 1) / CHUNK;
    return (unsigned)(chunks < 1 ? 1 : chunks > D4J_CUDA_TABLE_BLOCKS ? D4J_CUDA_TABLE_BLOCKS : chunks);
}

/* The work D4J_CUDA_LAUNCH is given so that its grid is table_grid(t): a thread per slot. */
static int64_t table_threads(const d4j_tensor_table& t) { return (int64_t)table_grid(t) * D4J_CUDA_THREADS; }

/* Calls op(k, i) for element i of tensor k, for every element of the table: the block's
 * threads stride through each of its chunks, each thread stepping to the next tensor when
 * its element passes the current one's end. Kernels take the table as a __grid_constant__
 * parameter, so indexing it by k reads parameter memory instead of copying the table. */
template <typename Op>
static __device__ __forceinline__ void for_each_element(const d4j_tensor_table& t, Op op) {
    const int64_t total = t.start[t.count];
    for (int64_t c0 = (int64_t)blockIdx.x * CHUNK; c0 < total; c0 += (int64_t)gridDim.x * CHUNK) {
        int k = 0;
        while (t.start[k + 1] <= c0) k++;
        int64_t end = c0 + CHUNK < total ? c0 + CHUNK : total;
        for (int64_t e = c0 + threadIdx.x; e < end; e += blockDim.x) {
            while (t.start[k + 1] <= e) k++;
            op(k, e - t.start[k]);
        }
    }
}

static __global__ void adamw_kernel(const __grid_constant__ d4j_tensor_table t, d4j_adamw_step_params h) {
    const float decay = 1.0f - D4J_MUL(h.lr, h.weight_decay), c1 = 1.0f - h.beta1, c2 = 1.0f - h.beta2;
    for_each_element(t, [&](int k, int64_t i) {
        float *p = t.data[0][k], *m = t.data[1][k], *v = t.data[2][k];
        float gi = t.data[3][k][i];
        float mi = fmaf(h.beta1, m[i], c1 * gi);
        float vi = fmaf(h.beta2, v[i], c2 * gi * gi);
        m[i] = mi;
        v[i] = vi;
        float denom = fmaf(sqrtf(vi), h.bias2_sqrt_inv, h.eps);
        p[i] = fmaf(-h.step_size, mi / denom, p[i] * decay);
    });
}

static __global__ void ema_kernel(const __grid_constant__ d4j_tensor_table t, float decay) {
    const float rest = 1.0f - decay;
    for_each_element(t, [&](int k, int64_t i) {
        float* e = t.data[0][k];
        e[i] = fmaf(decay, e[i], rest * t.data[1][k][i]);
    });
}

static __global__ void sum_squares_kernel(double* __restrict__ partials, const __grid_constant__ d4j_tensor_table t) {
    __shared__ double sh[D4J_CUDA_THREADS];
    double s = 0.0;
    for_each_element(t, [&](int k, int64_t i) {
        double g = t.data[0][k][i];
        s += __dmul_rn(g, g); /* not fused: the CPU's (double)g·g */
    });
    double total = block_sum(sh, s);
    if (threadIdx.x == 0) partials[blockIdx.x] = total;
}

static __global__ void clip_finish_kernel(float* __restrict__ norm, float* __restrict__ coef,
                                          const double* __restrict__ partials, int64_t count, float max_norm) {
    __shared__ double sh[D4J_CUDA_THREADS];
    double s = 0.0;
    for (int64_t i = threadIdx.x; i < count; i += blockDim.x) s += partials[i];
    double total = sqrt(block_sum(sh, s));
    if (threadIdx.x == 0) {
        double c = (double)max_norm / (total + 1e-6); /* PyTorch's clip_grad_norm_, as on the CPU */
        norm[0] = (float)total;
        coef[0] = c < 1.0 ? (float)c : 1.0f;
    }
}

static __global__ void clip_scale_kernel(const __grid_constant__ d4j_tensor_table t, const float* __restrict__ coef) {
    const float c = coef[0];
    if (!(c < 1.0f)) return; /* within the limit (or a NaN norm, which the CPU leaves alone too) */
    for_each_element(t, [&](int k, int64_t i) { t.data[0][k][i] *= c; });
}

extern "C" d4j_status d4j_cuda_adamw(const char* fn, int ordinal, void* stream, const d4j_tensor_table* t,
                                     const d4j_adamw_step_params* h) {
    D4J_CUDA_LAUNCH(adamw_kernel, table_threads(*t), *t, *h);
}

extern "C" d4j_status d4j_cuda_ema(const char* fn, int ordinal, void* stream, const d4j_tensor_table* t, float decay) {
    D4J_CUDA_LAUNCH(ema_kernel, table_threads(*t), *t, decay);
}

extern "C" d4j_status d4j_cuda_sum_squares(const char* fn, int ordinal, void* stream, double* partials, int* blocks,
                                           const d4j_tensor_table* t) {
    *blocks = (int)table_grid(*t);
    D4J_CUDA_LAUNCH(sum_squares_kernel, table_threads(*t), partials, *t);
}

extern "C" d4j_status d4j_cuda_clip_finish(const char* fn, int ordinal, void* stream, float* norm, float* coef,
                                           const double* partials, int64_t count, float max_norm) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    clip_finish_kernel<<<1, D4J_CUDA_THREADS, 0, (cudaStream_t)stream>>>(norm, coef, partials, count, max_norm);
    D4J_CUDA_TRY(fn, cudaGetLastError());
    return D4J_OK;
}

extern "C" d4j_status d4j_cuda_clip_scale(const char* fn, int ordinal, void* stream, const d4j_tensor_table* t,
                                          const float* coef) {
    D4J_CUDA_LAUNCH(clip_scale_kernel, table_threads(*t), *t, coef);
}
