/* timestep_embedding.h — kernel contract of the sinusoidal timestep embedding. */
#ifndef D4J_TIMESTEP_EMBEDDING_H
#define D4J_TIMESTEP_EMBEDDING_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"

/* Launches carry this many timesteps as kernel parameters (1 KiB). */
#define D4J_CUDA_EMBED_CHUNK 256

D4J_CPU_DECLARE(void, timestep_embedding, (float* out, const int32_t* t, int64_t batch, int64_t dim, float max_period))

#ifdef __cplusplus
extern "C" {
#endif
d4j_status d4j_cuda_timestep_embedding(const char* fn, int ordinal, void* stream, float* out, const int32_t* t,
                                       int64_t batch, int64_t dim, float max_period);
#ifdef __cplusplus
}
#endif

#endif /* D4J_TIMESTEP_EMBEDDING_H */
