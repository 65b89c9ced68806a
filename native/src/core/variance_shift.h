/* variance_shift.h — kernel contract of the guidance shift x += scale·Σ ⊙ grad (d4j_variance_shift in d4j.h). */
#ifndef D4J_VARIANCE_SHIFT_H
#define D4J_VARIANCE_SHIFT_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"
#include "hd.h"
#include "sampler_math.h" /* d4j_learned_log_var, d4j_expf */

/* One element: x + (scale·Σ)·g rounded once after scale·Σ, Σ = exp(log Σ) of the learned range
 * from the raw variance output r; r = −1 gives the fixed Σ = exp(log_var_min). d4j_expf keeps
 * its argument in [−87, 88]. */
D4J_HD float d4j_variance_shift_element(float x, float g, float r, float scale, float log_var_max,
                                        float log_var_min) {
    float var = d4j_expf(d4j_learned_log_var(r, log_var_max, log_var_min));
    return fmaf(D4J_MUL(scale, var), g, x);
}

/* x, grad, var_out (or NULL: f = 0): n elements; x is neither grad nor var_out. */
D4J_CPU_DECLARE(void, variance_shift, (float* x, const float* grad, const float* var_out, int64_t n, float scale,
                                       float log_var_max, float log_var_min))

#ifdef __cplusplus
extern "C" {
#endif
d4j_status d4j_cuda_variance_shift(const char* fn, int ordinal, void* stream, float* x, const float* grad,
                                   const float* var_out, int64_t n, float scale, float log_var_max,
                                   float log_var_min);
#ifdef __cplusplus
}
#endif

#endif /* D4J_VARIANCE_SHIFT_H */
