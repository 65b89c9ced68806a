/*
 * upsample.c — nearest-neighbour 2× upsampling (CPU), NHWC:
 *   forward  y[n, 2h + i, 2w + j, c] = x[n, h, w, c] for i, j in {0, 1}
 *   backward dx[n, h, w, c] = Σ_{i,j} dy[n, 2h + i, 2w + j, c]
 * Rows are (n, h) pairs: output rows 2r and 2r + 1 come from input row r.
 */
#include <string.h>

#include "../core/upsample.h"

void D4J_CPU(upsample2x_forward)(float* restrict y, const float* restrict x, int64_t rows, int64_t w, int64_t c) {
#pragma omp parallel for schedule(static) if (rows * w * c * 4 >= D4J_CPU_PARALLEL_MIN)
    for (int64_t r = 0; r < rows; r++) {
        const float* xr = x + r * w * c;
        float* y0 = y + (2 * r) * (2 * w) * c;
        for (int64_t q = 0; q < w; q++) {
            memcpy(y0 + (2 * q) * c, xr + q * c, (size_t)c * sizeof(float));
            memcpy(y0 + (2 * q + 1) * c, xr + q * c, (size_t)c * sizeof(float));
        }
        memcpy(y0 + 2 * w * c, y0, (size_t)(2 * w * c) * sizeof(float));
    }
}

void D4J_CPU(upsample2x_backward)(float* restrict dx, const float* restrict dy, int64_t rows, int64_t w, int64_t c) {
#pragma omp parallel for schedule(static) if (rows * w * c * 4 >= D4J_CPU_PARALLEL_MIN)
    for (int64_t r = 0; r < rows; r++) {
        const float* d0 = dy + (2 * r) * (2 * w) * c;
        const float* d1 = d0 + 2 * w * c;
        float* out = dx + r * w * c;
        for (int64_t q = 0; q < w; q++)
            for (int64_t ch = 0; ch < c; ch++)
                out[q * c + ch] = (d0[2 * q * c + ch] + d0[(2 * q + 1) * c + ch]) +
                                  (d1[2 * q * c + ch] + d1[(2 * q + 1) * c + ch]);
    }
}
