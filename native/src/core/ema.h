/*
 * ema.h — kernel contract of the multi-tensor EMA of weights (front door
 * ops/ema.c; kernels in cpu/ema.c, cuda/ema.cu).
 */
#ifndef D4J_EMA_H
#define D4J_EMA_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"
#include "tensor_table.h"

D4J_CPU_DECLARE(void, ema, (float* ema, const float* p, int64_t n, float decay))

#ifdef __cplusplus
extern "C" {
#endif
d4j_status d4j_cuda_ema(const char* fn, int ordinal, void* stream, const d4j_tensor_table* t, float decay);
#ifdef __cplusplus
}
#endif

#endif /* D4J_EMA_H */
