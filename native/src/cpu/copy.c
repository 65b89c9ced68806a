/* copy.c — dst[i] = src[i] (CPU), split across threads for large tensors. */
#include <string.h>

#include "../core/copy.h"

void D4J_CPU(copy)(float* dst, const float* src, int64_t n) {
    const int64_t chunk = 1 << 16;
    int64_t chunks = (n + chunk - 1) / chunk;
#pragma omp parallel for schedule(static) if (n >= D4J_CPU_PARALLEL_MIN)
    for (int64_t c = 0; c < chunks; c++) {
        int64_t begin = c * chunk;
        int64_t len = n - begin < chunk ? n - begin : chunk;
        memcpy(dst + begin, src + begin, (size_t)len * sizeof(float));
    }
}
