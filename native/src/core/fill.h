/* fill.h — kernel contract of the fill and copy kernels (front doors in runtime/tensor.c). */
#ifndef D4J_FILL_H
#define D4J_FILL_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"

D4J_CPU_DECLARE(void, fill, (float* dst, int64_t n, float value))
D4J_CPU_DECLARE(void, copy, (float* dst, const float* src, int64_t n))

#ifdef __cplusplus
extern "C" {
#endif
d4j_status d4j_cuda_fill(const char* fn, int ordinal, void* stream, float* dst, int64_t n, float value);
#ifdef __cplusplus
}
#endif

#endif /* D4J_FILL_H */
