/* dropout.h — kernel contract of dropout with regenerated Philox masks. */
#ifndef D4J_DROPOUT_H
#define D4J_DROPOUT_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"

/* out[i] = in[i]·scale where u_i >= p, else 0; u_i the Philox uniform of element i */
D4J_CPU_DECLARE(void, dropout, (float* out, const float* in, int64_t n, float p, float scale, uint64_t seed,
                                uint64_t offset))

#ifdef __cplusplus
extern "C" {
#endif
d4j_status d4j_cuda_dropout(const char* fn, int ordinal, void* stream, float* out, const float* in, int64_t n,
                            float p, float scale, uint64_t seed, uint64_t offset);
#ifdef __cplusplus
}
#endif

#endif /* D4J_DROPOUT_H */
