/* sampler_step.h — kernel contract of the fused reverse-process update (d4j_sampler_step in d4j.h). */
#ifndef D4J_SAMPLER_STEP_H
#define D4J_SAMPLER_STEP_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"

/* x_prev, x_t, out, out_uncond (or NULL), var_out (or NULL: σ_i = c->sigma): batch samples of
 * per_sample elements. z is the keyed noise of core/philox.h with (noise_key, noise_stream, ids[n])
 * when c->sigma != 0; ids and var_out are not read (and may be NULL) when c->sigma == 0. */
D4J_CPU_DECLARE(void, sampler_step, (float* x_prev, const float* x_t, const float* out, const float* out_uncond,
                                     const float* var_out, int64_t batch, int64_t per_sample,
                                     const d4j_step_coefficients* c, uint64_t noise_key, uint32_t noise_stream,
                                     const int64_t* ids))

#ifdef __cplusplus
extern "C" {
#endif
d4j_status d4j_cuda_sampler_step(const char* fn, int ordinal, void* stream, float* x_prev, const float* x_t,
                                 const float* out, const float* out_uncond, const float* var_out, int64_t batch,
                                 int64_t per_sample, const d4j_step_coefficients* c, uint64_t noise_key,
                                 uint32_t noise_stream, const int64_t* ids);
#ifdef __cplusplus
}
#endif

#endif /* D4J_SAMPLER_STEP_H */
