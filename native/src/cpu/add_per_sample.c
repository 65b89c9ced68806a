/*
 * add_per_sample.c — a per-sample channel vector broadcast over a feature map
 * (the U-Net adds its projected time embedding this way), and its gradient,
 * the sum over the map's pixels (CPU).
 */
#include "../core/add_per_sample.h"

void D4J_CPU(add_per_sample)(float* y, const float* x, const float* b, int64_t n, int64_t p, int64_t c) {
#pragma omp parallel for schedule(static) if (n * p * c >= D4J_CPU_PARALLEL_MIN)
    for (int64_t r = 0; r < n * p; r++) {
        const float* br = b + (r / p) * c;
        for (int64_t ch = 0; ch < c; ch++) y[r * c + ch] = x[r * c + ch] + br[ch];
    }
}

void D4J_CPU(sum_per_sample)(float* db, const float* dy, int64_t n, int64_t p, int64_t c) {
#pragma omp parallel for schedule(static) if (n * p * c >= D4J_CPU_PARALLEL_MIN)
    for (int64_t s = 0; s < n; s++) {
        float* out = db + s * c;
        for (int64_t ch = 0; ch < c; ch++) out[ch] = 0.0f;
        for (int64_t q = 0; q < p; q++)
            for (int64_t ch = 0; ch < c; ch++) out[ch] += dy[(s * p + q) * c + ch];
    }
}
