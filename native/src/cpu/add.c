/* add.c — y = a + b elementwise (CPU); y may alias a or b. */
#include "../core/add.h"

void D4J_CPU(add)(float* y, const float* a, const float* b, int64_t n) {
#pragma omp parallel for schedule(static) if (n >= D4J_CPU_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) y[i] = a[i] + b[i];
}
