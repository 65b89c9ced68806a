/*
 * mse_loss.c — L = (1/n) Σ_s w_s Σ_j (pred − target)² and dL/dpred = (2/n · w_s)(pred − target) (CPU).
 * The sum is float64 in a fixed order whatever the thread count: PARTS fixed slices of the
 * elements are summed (each sample's run within a slice, then weighted) into their own
 * partial, and the partials are added in slice order.
 */
#include "../core/hd.h"
#include "../core/mse_loss.h"

#define PARTS 64

void D4J_CPU(mse_loss)(float* loss, float* dpred, const float* pred, const float* target, const float* weights,
                       int64_t batch, int64_t per_sample) {
    const int64_t n = batch * per_sample;
    const float g = 2.0f / (float)n;
    double partial[PARTS];
#pragma omp parallel for schedule(static) if (n >= D4J_CPU_PARALLEL_MIN)
    for (int p = 0; p < PARTS; p++) {
        int64_t begin = n / PARTS * p + (p < n % PARTS ? p : n % PARTS);
        int64_t end = begin + n / PARTS + (p < n % PARTS ? 1 : 0);
        double part = 0.0;
        for (int64_t i = begin; i < end;) { /* one run per sample the slice touches */
            int64_t s = i / per_sample;
            int64_t run_end = (s + 1) * per_sample < end ? (s + 1) * per_sample : end;
            float w = weights ? weights[s] : 1.0f, gs = D4J_MUL(g, w);
            double run = 0.0;
            for (int64_t j = i; j < run_end; j++) {
                float d = pred[j] - target[j];
                run += (double)d * d;
                if (dpred) dpred[j] = D4J_MUL(gs, d);
            }
            part += (double)w * run;
            i = run_end;
        }
        partial[p] = part;
    }
    double sum = 0.0;
    for (int p = 0; p < PARTS; p++) sum += partial[p];
    *loss = (float)(sum / (double)n);
}
