/*
 * adamw.c — one AdamW step (Loshchilov & Hutter 2019) on the CPU, PyTorch's
 * formulation: p ← p − lr·wd·p; m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²;
 * p ← p − (lr/(1−β1^t)) · m / (sqrt(v)/sqrt(1−β2^t) + eps).
 */
#include <math.h>

#include "../core/adamw.h"

void D4J_CPU(adamw)(float* restrict p, float* restrict m, float* restrict v, const float* restrict g, int64_t n,
                    const d4j_adamw_step_params* h) {
    const float decay = 1.0f - h->lr * h->weight_decay, b1 = h->beta1, b2 = h->beta2;
    const float c1 = 1.0f - b1, c2 = 1.0f - b2;
#pragma omp parallel for schedule(static) if (n >= D4J_CPU_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) {
        float gi = g[i];
        float mi = fmaf(b1, m[i], c1 * gi);
        float vi = fmaf(b2, v[i], c2 * gi * gi);
        m[i] = mi;
        v[i] = vi;
        float denom = fmaf(sqrtf(vi), h->bias2_sqrt_inv, h->eps);
        p[i] = fmaf(-h->step_size, mi / denom, p[i] * decay);
    }
}
