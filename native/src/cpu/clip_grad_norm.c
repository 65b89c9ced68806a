/* clip_grad_norm.c — the squared L2 norm of a gradient (float64 sum) and scaling in place (CPU). */
#include "../core/clip_grad_norm.h"

double D4J_CPU(sum_squares)(const float* g, int64_t n) {
    double sum = 0.0;
#pragma omp parallel for schedule(static) reduction(+ : sum) if (n >= D4J_CPU_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) sum += (double)g[i] * g[i];
    return sum;
}

void D4J_CPU(scale)(float* g, int64_t n, float factor) {
#pragma omp parallel for schedule(static) if (n >= D4J_CPU_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) g[i] *= factor;
}
