/* mse_loss.h — internal declarations of the mean-squared-error loss; both backends sum in float64. */
#ifndef D4J_MSE_LOSS_H
#define D4J_MSE_LOSS_H

#include "backend_cpu.h"
#include "d4j.h"

/* *loss = mean((pred − target)²) accumulated in float64; dpred (or NULL) = 2(pred − target)/n */
D4J_CPU_DECLARE(void, mse_loss, (float* loss, float* dpred, const float* pred, const float* target, int64_t n))

/* Blocks of the CUDA reduction's first pass: its scratch holds one double each. */
#define D4J_CUDA_MSE_BLOCKS 1024

#ifdef __cplusplus
extern "C" {
#endif
/* scratch: device memory for D4J_CUDA_MSE_BLOCKS doubles (from the context's allocator) */
d4j_status d4j_cuda_mse_loss(const char* fn, int ordinal, void* stream, float* loss, float* dpred, const float* pred,
                             const float* target, int64_t n, double* scratch);
#ifdef __cplusplus
}
#endif

#endif /* D4J_MSE_LOSS_H */
