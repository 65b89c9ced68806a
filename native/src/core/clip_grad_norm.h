/*
 * clip_grad_norm.h — kernel contract of multi-tensor global-norm gradient
 * clipping (front door ops/clip_grad_norm.c; kernels in cpu/clip_grad_norm.c,
 * cuda/clip_grad_norm.cu).
 */
#ifndef D4J_CLIP_GRAD_NORM_H
#define D4J_CLIP_GRAD_NORM_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"
#include "tensor_table.h"

D4J_CPU_DECLARE(double, sum_squares, (const float* g, int64_t n))
D4J_CPU_DECLARE(void, scale, (float* g, int64_t n, float factor))

#ifdef __cplusplus
extern "C" {
#endif
/* partials[0, *blocks) = per-block float64 sums of g² over the table; *blocks <= D4J_CUDA_TABLE_BLOCKS */
d4j_status d4j_cuda_sum_squares(const char* fn, int ordinal, void* stream, double* partials, int* blocks,
                                const d4j_tensor_table* t);
/* norm = sqrt(Σ partials) and coef = min(1, max_norm / (norm + 1e-6)), both on the device, as the CPU computes them */
d4j_status d4j_cuda_clip_finish(const char* fn, int ordinal, void* stream, float* norm, float* coef,
                                const double* partials, int64_t count, float max_norm);
/* every g *= coef[0] where coef[0] < 1 */
d4j_status d4j_cuda_clip_scale(const char* fn, int ordinal, void* stream, const d4j_tensor_table* t, const float* coef);
#ifdef __cplusplus
}
#endif

#endif /* D4J_CLIP_GRAD_NORM_H */
