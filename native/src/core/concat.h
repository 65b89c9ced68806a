/* concat.h — kernel contract of channel concatenation for skip connections (front door ops/concat.c; kernels in cpu/concat.c, cuda/concat.cu). */
#ifndef D4J_CONCAT_H
#define D4J_CONCAT_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"

/* a (P, ca), b (P, cb) <-> y (P, ca + cb), P pixels */
D4J_CPU_DECLARE(void, concat_forward, (float* y, const float* a, const float* b, int64_t pixels, int64_t ca, int64_t cb))
D4J_CPU_DECLARE(void, concat_backward, (float* da, float* db, const float* dy, int64_t pixels, int64_t ca, int64_t cb))

#ifdef __cplusplus
extern "C" {
#endif
d4j_status d4j_cuda_concat_forward(const char* fn, int ordinal, void* stream, float* y, const float* a,
                                   const float* b, int64_t pixels, int64_t ca, int64_t cb);
d4j_status d4j_cuda_concat_backward(const char* fn, int ordinal, void* stream, float* da, float* db,
                                    const float* dy, int64_t pixels, int64_t ca, int64_t cb);
#ifdef __cplusplus
}
#endif

#endif /* D4J_CONCAT_H */
