/* add.h — kernel contract of the elementwise add y = a + b (y may alias a or b) (front door ops/add.c; kernels in cpu/add.c, cuda/add.cu). */
#ifndef D4J_ADD_H
#define D4J_ADD_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"

D4J_CPU_DECLARE(void, add, (float* y, const float* a, const float* b, int64_t n))

#ifdef __cplusplus
extern "C" {
#endif
d4j_status d4j_cuda_add(const char* fn, int ordinal, void* stream, float* y, const float* a, const float* b, int64_t n);
#ifdef __cplusplus
}
#endif

#endif /* D4J_ADD_H */
