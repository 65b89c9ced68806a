/* fill.c — dst[i] = value (CPU). */
#include "../core/fill.h"

void D4J_CPU(fill)(float* dst, int64_t n, float value) {
#pragma omp parallel for schedule(static) if (n >= D4J_CPU_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) dst[i] = value;
}
