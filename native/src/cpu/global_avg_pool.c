/*
 * global_avg_pool.c — global average pooling of an NHWC map to (N, C) and its gradient (CPU):
 * the forward sums each sample's pixels in order (add_per_sample's pixel sum) and divides by
 * their count; the backward spreads dy / P over the pixels.
 */
#include "../core/add_per_sample.h"   /* the sum_per_sample kernel */
#include "../core/global_avg_pool.h"

void D4J_CPU(global_avg_pool_forward)(float* y, const float* x, int64_t n, int64_t p, int64_t c) {
    D4J_CPU(sum_per_sample)(y, x, n, p, c);
    const float pf = (float)p;
    for (int64_t i = 0; i < n * c; i++) y[i] = y[i] / pf;
}

void D4J_CPU(global_avg_pool_backward)(float* dx, const float* dy, int64_t n, int64_t p, int64_t c) {
    const float pf = (float)p;
#pragma omp parallel for schedule(static) if (n * p * c >= D4J_CPU_PARALLEL_MIN)
    for (int64_t r = 0; r < n * p; r++) {
        const float* g = dy + (r / p) * c;
        for (int64_t ch = 0; ch < c; ch++) dx[r * c + ch] = g[ch] / pf;
    }
}
