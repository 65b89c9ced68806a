/* variance_shift.c — x += scale·Σ ⊙ grad, Σ the learned range's exp(log Σ) or exp(log_var_min) (CPU). */
#include "../core/variance_shift.h"

void D4J_CPU(variance_shift)(float* restrict x, const float* restrict grad, const float* restrict var_out, int64_t n,
                             float scale, float log_var_max, float log_var_min) {
    if (var_out) {
#pragma omp parallel for schedule(static) if (n >= D4J_CPU_PARALLEL_MIN)
        for (int64_t i = 0; i < n; i++)
            x[i] = d4j_variance_shift_element(x[i], grad[i], var_out[i], scale, log_var_max, log_var_min);
    } else {
#pragma omp parallel for schedule(static) if (n >= D4J_CPU_PARALLEL_MIN)
        for (int64_t i = 0; i < n; i++)
            x[i] = d4j_variance_shift_element(x[i], grad[i], -1.0f, scale, log_var_max, log_var_min);
    }
}
