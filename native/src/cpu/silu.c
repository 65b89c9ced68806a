/* silu.c — SiLU(x) = x·σ(x) and its derivative σ(x)(1 + x(1 − σ(x))) (CPU). */
#include "../core/expf.h"
#include "../core/silu.h"

void D4J_CPU(silu_forward)(float* restrict y, const float* restrict x, int64_t n) {
#pragma omp parallel for schedule(static) if (n >= D4J_CPU_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) y[i] = D4J_MUL(x[i], d4j_sigmoidf(x[i]));
}

void D4J_CPU(silu_backward)(float* restrict dx, const float* restrict dy, const float* restrict x, int64_t n) {
#pragma omp parallel for schedule(static) if (n >= D4J_CPU_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) {
        float s = d4j_sigmoidf(x[i]);
        dx[i] = D4J_MUL(dy[i], D4J_MUL(s, fmaf(x[i], D4J_SUB(1.0f, s), 1.0f)));
    }
}
