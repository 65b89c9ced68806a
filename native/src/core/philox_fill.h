/*
 * philox_fill.h — kernel contract of the Philox normal and uniform fills
 * (front door ops/philox_fill.c; kernels in cpu/philox_fill.c, cuda/philox_fill.cu).
 */
#ifndef D4J_PHILOX_FILL_H
#define D4J_PHILOX_FILL_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"

/* dst[i] = mean + std * z_i, z from Philox block offset + i/4 */
D4J_CPU_DECLARE(void, fill_normal, (float* dst, int64_t n, float mean, float std, uint64_t seed, uint64_t offset))
/* dst[i] = low + span * u_i, u in [0, 1) */
D4J_CPU_DECLARE(void, fill_uniform, (float* dst, int64_t n, float low, float span, uint64_t seed, uint64_t offset))

#ifdef __cplusplus
extern "C" {
#endif
d4j_status d4j_cuda_fill_normal(const char* fn, int ordinal, void* stream, float* dst, int64_t n,
                                float mean, float std, uint64_t seed, uint64_t offset);
d4j_status d4j_cuda_fill_uniform(const char* fn, int ordinal, void* stream, float* dst, int64_t n,
                                 float low, float span, uint64_t seed, uint64_t offset);
#ifdef __cplusplus
}
#endif

#endif /* D4J_PHILOX_FILL_H */
