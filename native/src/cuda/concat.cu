/*
 * concat.cu — channel concatenation on CUDA, NHWC, as native/src/cpu/concat.c:
 * grid-stride kernels.
 */
#include "../core/hd.h"
#include "../core/concat.h"
#include "cuda_check.h"

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

extern "C" d4j_status d4j_cuda_concat_forward(const char* fn, int ordinal, void* stream, float* y, const float* a,
                                              const float* b, int64_t pixels, int64_t ca, int64_t cb) {
    D4J_CUDA_LAUNCH(concat_forward_kernel, pixels * (ca + cb), y, a, b, pixels, ca, cb);
}

extern "C" d4j_status d4j_cuda_concat_backward(const char* fn, int ordinal, void* stream, float* da, float* db,
                                               const float* dy, int64_t pixels, int64_t ca, int64_t cb) {
    D4J_CUDA_LAUNCH(concat_backward_kernel, pixels * (ca + cb), da, db, dy, pixels, ca, cb);
}
