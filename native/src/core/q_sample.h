/* q_sample.h — kernel contract of q_sample (front door ops/q_sample.c). */
#ifndef D4J_Q_SAMPLE_H
#define D4J_Q_SAMPLE_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"

/* x_t = a[s] x_0 + b[s] eps, eps ~ N(0, I) from the same counters as fill_normal;
 * sample s covers elements [s*per_sample, (s+1)*per_sample). */
D4J_CPU_DECLARE(void, q_sample, (float* x_t, float* eps, const float* x_0, const float* a, const float* b,
                                 int64_t batch, int64_t per_sample, uint64_t seed, uint64_t offset))

#ifdef __cplusplus
extern "C" {
#endif
/* a, b: per-sample coefficients on the host, `batch` of each. */
d4j_status d4j_cuda_q_sample(const char* fn, int ordinal, void* stream, float* x_t, float* eps,
                             const float* x_0, const float* a, const float* b, int64_t batch,
                             int64_t per_sample, uint64_t seed, uint64_t offset);
#ifdef __cplusplus
}
#endif

#endif /* D4J_Q_SAMPLE_H */
