/* gaussian_kl.h — kernel contract of the latent's KL term (d4j_gaussian_kl in d4j.h); both backends sum in float64. */
#ifndef D4J_GAUSSIAN_KL_H
#define D4J_GAUSSIAN_KL_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"

/* moments: positions × (2·channels) floats, μ then ℓ per position; scale = weight / N.
 * *loss = scale · Σ KL elements in float64, in a fixed order; dmoments (or NULL, may be moments) =
 * scale · (μ | ½(e^ℓ − 1)). */
D4J_CPU_DECLARE(void, gaussian_kl, (float* loss, float* dmoments, const float* moments, int64_t positions,
                                    int64_t channels, double scale))

/* Blocks of the CUDA reduction's first pass: its scratch holds one double each. */
#define D4J_CUDA_KL_BLOCKS 1024

#ifdef __cplusplus
extern "C" {
#endif
/* scratch: device memory for D4J_CUDA_KL_BLOCKS doubles (from the context's allocator) */
d4j_status d4j_cuda_gaussian_kl(const char* fn, int ordinal, void* stream, float* loss, float* dmoments,
                                const float* moments, int64_t positions, int64_t channels, double scale,
                                double* scratch);
#ifdef __cplusplus
}
#endif

#endif /* D4J_GAUSSIAN_KL_H */
