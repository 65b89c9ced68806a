/* mse_loss.c — L = mean((pred − target)²) and dL/dpred = 2(pred − target)/n (CPU); the sum in float64. */
#include "../core/hd.h"
#include "../core/mse_loss.h"

void D4J_CPU(mse_loss)(float* loss, float* dpred, const float* pred, const float* target, int64_t n) {
    double sum = 0.0;
    float g = 2.0f / (float)n;
#pragma omp parallel for schedule(static) reduction(+ : sum) if (n >= D4J_CPU_PARALLEL_MIN)
    for (int64_t i = 0; i < n; i++) {
        float d = pred[i] - target[i];
        sum += (double)d * d;
        if (dpred) dpred[i] = D4J_MUL(g, d);
    }
    *loss = (float)(sum / (double)n);
}
