/*
 * add.cu — y = a + b elementwise on CUDA (y may alias a or b), as
 * native/src/cpu/add.c: grid-stride kernels.
 */
#include "../core/hd.h"
#include "../core/add.h"
#include "cuda_check.h"

static __global__ void add_kernel(float* y, const float* a, const float* b, int64_t n) {
    D4J_GRID_STRIDE(i, n) y[i] = D4J_ADD(a[i], b[i]);
}

extern "C" d4j_status d4j_cuda_add(const char* fn, int ordinal, void* stream, float* y, const float* a, const float* b,
                                   int64_t n) {
    D4J_CUDA_LAUNCH(add_kernel, n, y, a, b, n);
}
