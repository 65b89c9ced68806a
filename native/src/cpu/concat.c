/* concat.c — channel concatenation for skip connections (CPU), NHWC: y = [a | b] per pixel. */
#include <string.h>

#include "../core/concat.h"

void D4J_CPU(concat_forward)(float* y, const float* a, const float* b, int64_t pixels, int64_t ca, int64_t cb) {
#pragma omp parallel for schedule(static) if (pixels * (ca + cb) >= D4J_CPU_PARALLEL_MIN)
    for (int64_t p = 0; p < pixels; p++) {
        memcpy(y + p * (ca + cb), a + p * ca, (size_t)ca * sizeof(float));
        memcpy(y + p * (ca + cb) + ca, b + p * cb, (size_t)cb * sizeof(float));
    }
}

void D4J_CPU(concat_backward)(float* da, float* db, const float* dy, int64_t pixels, int64_t ca, int64_t cb) {
#pragma omp parallel for schedule(static) if (pixels * (ca + cb) >= D4J_CPU_PARALLEL_MIN)
    for (int64_t p = 0; p < pixels; p++) {
        memcpy(da + p * ca, dy + p * (ca + cb), (size_t)ca * sizeof(float));
        memcpy(db + p * cb, dy + p * (ca + cb) + ca, (size_t)cb * sizeof(float));
    }
}
