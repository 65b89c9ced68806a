/*
 * variance_shift.cu — x += scale·Σ ⊙ grad on CUDA, the CPU's element function
 * (core/variance_shift.h): one grid-stride kernel, r = −1 without var_out.
 */
#include "../core/variance_shift.h"
#include "cuda_check.h"

static __global__ void variance_shift_kernel(float* __restrict__ x, const float* __restrict__ grad,
                                             const float* __restrict__ var_out, int64_t n, float scale,
                                             float log_var_max, float log_var_min) {
    D4J_GRID_STRIDE(i, n) {
        float r = var_out ? var_out[i] : -1.0f;
        x[i] = d4j_variance_shift_element(x[i], grad[i], r, scale, log_var_max, log_var_min);
    }
}

extern "C" d4j_status d4j_cuda_variance_shift(const char* fn, int ordinal, void* stream, float* x, const float* grad,
                                              const float* var_out, int64_t n, float scale, float log_var_max,
                                              float log_var_min) {
    D4J_CUDA_LAUNCH(variance_shift_kernel, n, x, grad, var_out, n, scale, log_var_max, log_var_min);
}
