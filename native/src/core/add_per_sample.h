/* add_per_sample.h — kernel contract of the per-sample broadcast add and its gradient (front door ops/add_per_sample.c; kernels in cpu/add_per_sample.c, cuda/add_per_sample.cu). */
#ifndef D4J_ADD_PER_SAMPLE_H
#define D4J_ADD_PER_SAMPLE_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"

/* y[n, p, c] = x[n, p, c] + b[n, c] over P pixels per sample; db[n, c] = Σ_p dy[n, p, c] */
D4J_CPU_DECLARE(void, add_per_sample, (float* y, const float* x, const float* b, int64_t n, int64_t p, int64_t c))
D4J_CPU_DECLARE(void, sum_per_sample, (float* db, const float* dy, int64_t n, int64_t p, int64_t c))

#ifdef __cplusplus
extern "C" {
#endif
d4j_status d4j_cuda_add_per_sample(const char* fn, int ordinal, void* stream, float* y, const float* x,
                                   const float* b, int64_t n, int64_t p, int64_t c);
d4j_status d4j_cuda_sum_per_sample(const char* fn, int ordinal, void* stream, float* db, const float* dy, int64_t n,
                                   int64_t p, int64_t c);
#ifdef __cplusplus
}
#endif

#endif /* D4J_ADD_PER_SAMPLE_H */
