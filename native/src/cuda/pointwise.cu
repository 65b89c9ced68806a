/*
 * pointwise.cu — SiLU, add, the per-sample broadcast add and its gradient,
 * nearest 2× upsampling and channel concatenation on CUDA: grid-stride
 * kernels with the same formulas as the CPU files silu.c, add.c,
 * add_per_sample.c, upsample.c, concat.c.
 */
#include "../core/expf.h"
#include "../core/pointwise.h"
#include "cuda_check.h"

#define D4J_GRID_STRIDE(i, n) \
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n); i += (int64_t)gridDim.x * blockDim.x)

static __global__ void silu_forward_kernel(float* __restrict__ y, const float* __restrict__ x, int64_t n) {
    D4J_GRID_STRIDE(i, n) y[i] = D4J_MUL(x[i], d4j_sigmoidf(x[i]));
}

static __global__ void silu_backward_kernel(float* __restrict__ dx, const float* __restrict__ dy,
                                            const float* __restrict__ x, int64_t n) {
    D4J_GRID_STRIDE(i, n) {
        float s = d4j_sigmoidf(x[i]);
        dx[i] = D4J_MUL(dy[i], D4J_MUL(s, fmaf(x[i], D4J_SUB(1.0f, s), 1.0f)));
    }
}

static __global__ void add_kernel(float* y, const float* a, const float* b, int64_t n) {
    D4J_GRID_STRIDE(i, n) y[i] = D4J_ADD(a[i], b[i]);
}

static __global__ void add_per_sample_kernel(float* y, const float* x, const float* __restrict__ b, int64_t n,
                                             int64_t p, int64_t c) {
    D4J_GRID_STRIDE(i, n * p * c) y[i] = D4J_ADD(x[i], b[(i / (p * c)) * c + i % c]);
}

/* one thread per (sample, channel); pixels summed in order, as on the CPU */
static __global__ void sum_per_sample_kernel(float* __restrict__ db, const float* __restrict__ dy, int64_t n, int64_t p,
                                             int64_t c) {
    D4J_GRID_STRIDE(i, n * c) {
        int64_t s = i / c, ch = i % c;
        float acc = 0.0f;
        for (int64_t q = 0; q < p; q++) acc = D4J_ADD(acc, dy[(s * p + q) * c + ch]);
        db[i] = acc;
    }
}

/* i indexes y (N·2H, 2W, C) */
static __global__ void upsample_forward_kernel(float* __restrict__ y, const float* __restrict__ x, int64_t rows,
                                               int64_t w, int64_t c) {
    D4J_GRID_STRIDE(i, rows * 4 * w * c) {
        int64_t ch = i % c, q = (i / c) % (2 * w), r = i / (c * 2 * w);
        y[i] = x[((r / 2) * w + q / 2) * c + ch];
    }
}

/* i indexes dx (N·H, W, C) */
static __global__ void upsample_backward_kernel(float* __restrict__ dx, const float* __restrict__ dy, int64_t rows,
                                                int64_t w, int64_t c) {
    D4J_GRID_STRIDE(i, rows * w * c) {
        int64_t ch = i % c, q = (i / c) % w, r = i / (c * w);
        const float* d0 = dy + (2 * r) * (2 * w) * c;
        const float* d1 = d0 + 2 * w * c;
        dx[i] = D4J_ADD(D4J_ADD(d0[2 * q * c + ch], d0[(2 * q + 1) * c + ch]),
                        D4J_ADD(d1[2 * q * c + ch], d1[(2 * q + 1) * c + ch]));
    }
}

static __global__ void concat_forward_kernel(float* __restrict__ y, const float* __restrict__ a,
                                             const float* __restrict__ b, int64_t pixels, int64_t ca, int64_t cb) {
    D4J_GRID_STRIDE(i, pixels * (ca + cb)) {
        int64_t p = i / (ca + cb), ch = i % (ca + cb);
        y[i] = ch < ca ? a[p * ca + ch] : b[p * cb + ch - ca];
    }
}

static __global__ void concat_backward_kernel(float* __restrict__ da, float* __restrict__ db,
                                              const float* __restrict__ dy, int64_t pixels, int64_t ca, int64_t cb) {
    D4J_GRID_STRIDE(i, pixels * (ca + cb)) {
        int64_t p = i / (ca + cb), ch = i % (ca + cb);
        if (ch < ca) da[p * ca + ch] = dy[i];
        else db[p * cb + ch - ca] = dy[i];
    }
}

#define LAUNCH(kernel, work, ...)                                                                    \
    do {                                                                                             \
        D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));                                                    \
        kernel<<<d4j_cuda_grid(work), D4J_CUDA_THREADS, 0, (cudaStream_t)stream>>>(__VA_ARGS__);     \
        D4J_CUDA_TRY(fn, cudaGetLastError());                                                        \
        return D4J_OK;                                                                               \
    } while (0)

extern "C" d4j_status d4j_cuda_silu_forward(const char* fn, int ordinal, void* stream, float* y, const float* x,
                                            int64_t n) {
    LAUNCH(silu_forward_kernel, n, y, x, n);
}
extern "C" d4j_status d4j_cuda_silu_backward(const char* fn, int ordinal, void* stream, float* dx, const float* dy,
                                             const float* x, int64_t n) {
    LAUNCH(silu_backward_kernel, n, dx, dy, x, n);
}
extern "C" d4j_status d4j_cuda_add(const char* fn, int ordinal, void* stream, float* y, const float* a, const float* b,
                                   int64_t n) {
    LAUNCH(add_kernel, n, y, a, b, n);
}
extern "C" d4j_status d4j_cuda_add_per_sample(const char* fn, int ordinal, void* stream, float* y, const float* x,
                                              const float* b, int64_t n, int64_t p, int64_t c) {
    LAUNCH(add_per_sample_kernel, n * p * c, y, x, b, n, p, c);
}
extern "C" d4j_status d4j_cuda_sum_per_sample(const char* fn, int ordinal, void* stream, float* db, const float* dy,
                                              int64_t n, int64_t p, int64_t c) {
    LAUNCH(sum_per_sample_kernel, n * c, db, dy, n, p, c);
}
extern "C" d4j_status d4j_cuda_upsample2x_forward(const char* fn, int ordinal, void* stream, float* y, const float* x,
                                                  int64_t rows, int64_t w, int64_t c) {
    LAUNCH(upsample_forward_kernel, rows * 4 * w * c, y, x, rows, w, c);
}
extern "C" d4j_status d4j_cuda_upsample2x_backward(const char* fn, int ordinal, void* stream, float* dx,
                                                   const float* dy, int64_t rows, int64_t w, int64_t c) {
    LAUNCH(upsample_backward_kernel, rows * w * c, dx, dy, rows, w, c);
}
extern "C" d4j_status d4j_cuda_concat_forward(const char* fn, int ordinal, void* stream, float* y, const float* a,
                                              const float* b, int64_t pixels, int64_t ca, int64_t cb) {
    LAUNCH(concat_forward_kernel, pixels * (ca + cb), y, a, b, pixels, ca, cb);
}
extern "C" d4j_status d4j_cuda_concat_backward(const char* fn, int ordinal, void* stream, float* da, float* db,
                                               const float* dy, int64_t pixels, int64_t ca, int64_t cb) {
    LAUNCH(concat_backward_kernel, pixels * (ca + cb), da, db, dy, pixels, ca, cb);
}
