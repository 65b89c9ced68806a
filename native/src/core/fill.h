/*
 * fill.h — kernel contract of the constant fill dst[i] = value, a tensor
 * runtime operation (front door d4j_tensor_fill in runtime/tensor.c; kernels
 * in cpu/fill.c, cuda/fill.cu).
 */
#ifndef D4J_FILL_H
#define D4J_FILL_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"

D4J_CPU_DECLARE(void, fill, (float* dst, int64_t n, float value))

#ifdef __cplusplus
extern "C" {
#endif
d4j_status d4j_cuda_fill(const char* fn, int ordinal, void* stream, float* dst, int64_t n, float value);
#ifdef __cplusplus
}
#endif

#endif /* D4J_FILL_H */
