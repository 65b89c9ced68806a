/*
 * upsample.cu — nearest 2× upsampling on CUDA, NHWC, as
 * native/src/cpu/upsample.c: grid-stride kernels.
 */
#include "../core/hd.h"
#include "../core/upsample.h"
#include "cuda_check.h"

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

extern "C" d4j_status d4j_cuda_upsample2x_forward(const char* fn, int ordinal, void* stream, float* y, const float* x,
                                                  int64_t rows, int64_t w, int64_t c) {
    D4J_CUDA_LAUNCH(upsample_forward_kernel, rows * 4 * w * c, y, x, rows, w, c);
}

extern "C" d4j_status d4j_cuda_upsample2x_backward(const char* fn, int ordinal, void* stream, float* dx,
                                                   const float* dy, int64_t rows, int64_t w, int64_t c) {
    D4J_CUDA_LAUNCH(upsample_backward_kernel, rows * w * c, dx, dy, rows, w, c);
}
