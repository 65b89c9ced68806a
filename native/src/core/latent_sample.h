/* latent_sample.h — kernel contract of the reparameterised latent sample (d4j_latent_sample_* in d4j.h). */
#ifndef D4J_LATENT_SAMPLE_H
#define D4J_LATENT_SAMPLE_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"

/* positions × channels latents from positions × (2·channels) moments. eps NULL: z = μ; else
 * eps = Philox normals of (seed, offset) over its elements (as fill_normal), z = μ + e^{ℓ/2} eps. */
D4J_CPU_DECLARE(void, latent_sample_forward, (float* z, float* eps, const float* moments, int64_t positions,
                                              int64_t channels, uint64_t seed, uint64_t offset))
/* dmoments += (dz | ½ dz e^{ℓ/2} eps), eps NULL: the ℓ half gets nothing */
D4J_CPU_DECLARE(void, latent_sample_backward, (float* dmoments, const float* dz, const float* eps,
                                               const float* moments, int64_t positions, int64_t channels))

#ifdef __cplusplus
extern "C" {
#endif
d4j_status d4j_cuda_latent_sample_forward(const char* fn, int ordinal, void* stream, float* z, float* eps,
                                          const float* moments, int64_t positions, int64_t channels, uint64_t seed,
                                          uint64_t offset);
d4j_status d4j_cuda_latent_sample_backward(const char* fn, int ordinal, void* stream, float* dmoments,
                                           const float* dz, const float* eps, const float* moments,
                                           int64_t positions, int64_t channels);
#ifdef __cplusplus
}
#endif

#endif /* D4J_LATENT_SAMPLE_H */
