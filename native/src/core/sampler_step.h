/* sampler_step.h — internal declarations of the fused reverse-process update. */
#ifndef D4J_SAMPLER_STEP_H
#define D4J_SAMPLER_STEP_H

#include "backend_cpu.h"
#include "d4j.h"

D4J_CPU_DECLARE(void, sampler_step, (float* x_prev, const float* x_t, const float* eps, const float* eps_uncond,
                                     int64_t n, const d4j_step_coefficients* c, uint64_t seed, uint64_t offset))

#ifdef __cplusplus
extern "C" {
#endif
d4j_status d4j_cuda_sampler_step(const char* fn, int ordinal, void* stream, float* x_prev, const float* x_t,
                                 const float* eps, const float* eps_uncond, int64_t n, const d4j_step_coefficients* c,
                                 uint64_t seed, uint64_t offset);
#ifdef __cplusplus
}
#endif

#endif /* D4J_SAMPLER_STEP_H */
