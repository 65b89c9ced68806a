/* silu.h — kernel contract of SiLU, forward and backward (any shape, as a flat array of n) (front door ops/silu.c; kernels in cpu/silu.c, cuda/silu.cu). */
#ifndef D4J_SILU_H
#define D4J_SILU_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"

D4J_CPU_DECLARE(void, silu_forward, (float* y, const float* x, int64_t n))
D4J_CPU_DECLARE(void, silu_backward, (float* dx, const float* dy, const float* x, int64_t n))

#ifdef __cplusplus
extern "C" {
#endif
d4j_status d4j_cuda_silu_forward(const char* fn, int ordinal, void* stream, float* y, const float* x, int64_t n);
d4j_status d4j_cuda_silu_backward(const char* fn, int ordinal, void* stream, float* dx, const float* dy,
                                  const float* x, int64_t n);
#ifdef __cplusplus
}
#endif

#endif /* D4J_SILU_H */
