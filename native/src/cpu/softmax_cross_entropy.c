/*
 * softmax_cross_entropy.c — L = (1/N) Σ_n −log softmax(x_n)_{y_n} and dL/dx = (softmax − onehot)/N (CPU),
 * row by row with the shared d4j_softmax_ce_row. The rows' float64 losses are summed in a
 * fixed order whatever the thread count: PARTS fixed runs of rows each into its own partial,
 * the partials added in order.
 */
#include "../core/softmax_cross_entropy.h"

#define PARTS 64

void D4J_CPU(softmax_cross_entropy)(float* loss, float* dlogits, const float* logits, const int32_t* labels,
                                    int64_t n, int64_t k) {
    const float nf = (float)n;
    double partial[PARTS];
#pragma omp parallel for schedule(static) if (n * k >= D4J_CPU_PARALLEL_MIN)
    for (int p = 0; p < PARTS; p++) {
        int64_t begin = n / PARTS * p + (p < n % PARTS ? p : n % PARTS);
        int64_t end = begin + n / PARTS + (p < n % PARTS ? 1 : 0);
        double part = 0.0;
        for (int64_t r = begin; r < end; r++)
            part += d4j_softmax_ce_row(dlogits ? dlogits + r * k : NULL, logits + r * k, labels[r], k, nf);
        partial[p] = part;
    }
    double sum = 0.0;
    for (int p = 0; p < PARTS; p++) sum += partial[p];
    *loss = (float)(sum / (double)n);
}
