/* mse_loss.h — kernel contract of the (per-sample weighted) mean-squared-error loss; both backends sum in float64. */
#ifndef D4J_MSE_LOSS_H
#define D4J_MSE_LOSS_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"

/* batch samples of per_sample elements; weights: batch host floats or NULL (all 1).
 * *loss = (1/n) Σ_s w_s Σ_j (pred − target)² accumulated in float64 in a fixed order;
 * dpred (or NULL) = (2/n · w_s)(pred − target). */
D4J_CPU_DECLARE(void, mse_loss, (float* loss, float* dpred, const float* pred, const float* target,
                                 const float* weights, int64_t batch, int64_t per_sample))

/* Blocks of the CUDA reduction's first pass: its scratch holds one double each. */
#define D4J_CUDA_MSE_BLOCKS 1024

#ifdef __cplusplus
extern "C" {
#endif
/* scratch: device memory for D4J_CUDA_MSE_BLOCKS doubles (from the context's allocator) */
d4j_status d4j_cuda_mse_loss(const char* fn, int ordinal, void* stream, float* loss, float* dpred, const float* pred,
                             const float* target, const float* weights, int64_t batch, int64_t per_sample,
                             double* scratch);
#ifdef __cplusplus
}
#endif

#endif /* D4J_MSE_LOSS_H */
