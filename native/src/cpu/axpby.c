/* axpby.c — out = a[n]·x + b[n]·y per sample n (CPU); each element read before it is written, so out may be x or y. */
#include "../core/axpby.h"

/* Elements per work item: a sample is split when it is large, so batch 1 still uses every thread. */
#define RUN 4096

void D4J_CPU(axpby)(float* out, const float* x, const float* y, const float* a, const float* b, int64_t batch,
                    int64_t per_sample) {
    const int64_t runs = (per_sample + RUN - 1) / RUN;
#pragma omp parallel for schedule(static) if (batch * per_sample >= D4J_CPU_PARALLEL_MIN)
    for (int64_t k = 0; k < batch * runs; k++) {
        int64_t n = k / runs, begin = n * per_sample + (k % runs) * RUN;
        int64_t end = (k % runs + 1) * RUN < per_sample ? begin + RUN : (n + 1) * per_sample;
        float an = a[n], bn = y ? b[n] : 0.0f;
        if (y)
            for (int64_t i = begin; i < end; i++) out[i] = d4j_axpby_element(x[i], y[i], an, bn, 1);
        else
            for (int64_t i = begin; i < end; i++) out[i] = d4j_axpby_element(x[i], 0.0f, an, bn, 0);
    }
}
