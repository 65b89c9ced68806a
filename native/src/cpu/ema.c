/* ema.c — exponential moving average of weights, ema ← decay·ema + (1 − decay)·p (CPU). */
#include <math.h>

#include "../core/ema.h"

void D4J_CPU(ema)(float* restrict ema, const float* restrict p, int64_t n, float decay) {
    const float rest = 1.0f - decay;
#pragma omp parallel for schedule(static) if (n >= D4J_CPU_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) ema[i] = fmaf(decay, ema[i], rest * p[i]);
}
