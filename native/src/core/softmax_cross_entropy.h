/*
 * softmax_cross_entropy.h — kernel contract of the softmax cross-entropy loss
 * (ops/softmax_cross_entropy.c; kernels in cpu/softmax_cross_entropy.c,
 * cuda/softmax_cross_entropy.cu), and the one row of it both backends run, so
 * each row's loss and gradient have the same bits on the CPU and on CUDA.
 */
#ifndef D4J_SOFTMAX_CROSS_ENTROPY_H
#define D4J_SOFTMAX_CROSS_ENTROPY_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"
#include "expf.h"   /* d4j_expf */
#include "hd.h"
#include "philox.h" /* d4j_logf */

/* log(1 + t) for t >= 0, accurate also for small t, where forming 1 + t would round most of t
 * away: log(1 + t) = 2 atanh(u), u = t / (2 + t) <= 0.172 while 1 + t <= √2 (d4j_logf's series),
 * else d4j_logf(1 + t), whose result is then at least 0.34. */
D4J_HD float d4j_log1pf(float t) {
    if (t > 0.41421356f) return d4j_logf(D4J_ADD(1.0f, t));
    float u = t / D4J_ADD(t, 2.0f);
    float u2 = D4J_MUL(u, u);
    float p = fmaf(u2, 0.22222222f, 0.28571429f); /* 2/9, 2/7 */
    p = fmaf(u2, p, 0.4f);                         /* 2/5 */
    p = fmaf(u2, p, 0.66666669f);                  /* 2/3 */
    return fmaf(u, D4J_MUL(u2, p), D4J_MUL(2.0f, u));
}

/* One row x (K logits) with label y in [0, K), of a batch of n rows:
 *   m = max_j x_j at j = a (the first maximum), t = Σ_{j != a} exp(x_j − m) (float32, j in order),
 *   returns −log softmax(x)_y = (m − x_y) + log(1 + t), in float64 from the float32 pieces
 *   (t kept apart from the 1 so a confident row's small loss keeps its digits);
 *   d (or NULL) = (softmax(x) − onehot(y)) / n with softmax(x)_j = exp(x_j − m) / (1 + t),
 *   overwritten (at j = a = y as −t / (1 + t)); d may be x (each x_j is read before d_j is written, and the loss before any).
 * Subtracting the maximum keeps every exponent <= 0, so logits of any size give finite results. */
D4J_HD double d4j_softmax_ce_row(float* d, const float* x, int32_t y, int64_t k, float n) {
    int64_t a = 0;
    for (int64_t j = 1; j < k; j++) a = x[j] > x[a] ? j : a;
    const float m = x[a];
    float t = 0.0f;
    for (int64_t j = 0; j < k; j++)
        if (j != a) t = D4J_ADD(t, d4j_expf(D4J_SUB(x[j], m)));
    double loss = ((double)m - (double)x[y]) + (double)d4j_log1pf(t);
    if (d) {
        const float s = D4J_ADD(1.0f, t);
        for (int64_t j = 0; j < k; j++) {
            float g; /* softmax_j − onehot_j; at the maximum of a correct row 1/s − 1 = −t/s, without cancelling */
            if (j == a) g = j == y ? -(t / s) : 1.0f / s;
            else g = D4J_SUB(d4j_expf(D4J_SUB(x[j], m)) / s, j == y ? 1.0f : 0.0f);
            d[j] = g / n;
        }
    }
    return loss;
}

/* logits, dlogits (or NULL): (n, k); labels: n host ints in [0, k) (validated by the caller).
 * *loss = (1/n) Σ_rows d4j_softmax_ce_row, the rows' float64 losses summed in a fixed order. */
D4J_CPU_DECLARE(void, softmax_cross_entropy, (float* loss, float* dlogits, const float* logits, const int32_t* labels,
                                              int64_t n, int64_t k))

#ifdef __cplusplus
extern "C" {
#endif
/* scratch: device memory for one double (from the context's allocator) */
d4j_status d4j_cuda_softmax_cross_entropy(const char* fn, int ordinal, void* stream, float* loss, float* dlogits,
                                          const float* logits, const int32_t* labels, int64_t n, int64_t k,
                                          double* scratch);
#ifdef __cplusplus
}
#endif

#endif /* D4J_SOFTMAX_CROSS_ENTROPY_H */
