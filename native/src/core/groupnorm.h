/*
 * groupnorm.h — kernel contract of GroupNorm (front door ops/groupnorm.c).
 * x, y: (N, HW, C) channels last; groups of C/G adjacent channels; mean, rstd
 * (N, G); gamma, beta (C). With silu, y = SiLU(GN(x)) and the backward pass
 * recomputes the pre-activation from x, mean and rstd.
 */
#ifndef D4J_GROUPNORM_H
#define D4J_GROUPNORM_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"

typedef struct d4j_gn_shape {
    int64_t n, hw, c, groups;
} d4j_gn_shape;

/* Each returns 0, or -1 when scratch memory could not be allocated. */
D4J_CPU_DECLARE(int, groupnorm_forward, (float* y, float* mean, float* rstd, const float* x, const float* gamma,
                                         const float* beta, const d4j_gn_shape* s, float eps, int silu))
/* dx = dL/dx (+ residual, x's shape, when not NULL; never dx: dx parks the SiLU gradient) */
D4J_CPU_DECLARE(int, groupnorm_backward, (float* dx, float* dgamma, float* dbeta, const float* dy, const float* x,
                                          const float* mean, const float* rstd, const float* gamma, const float* beta,
                                          const float* residual, const d4j_gn_shape* s, int silu))

#ifdef __cplusplus
extern "C" {
#endif
d4j_status d4j_cuda_groupnorm_forward(const char* fn, int ordinal, void* stream, float* y, float* mean, float* rstd,
                                      const float* x, const float* gamma, const float* beta, const d4j_gn_shape* s,
                                      float eps, int silu);
/* scratch: device memory for 2·N·C + 2·N·G floats (from the context's allocator) */
d4j_status d4j_cuda_groupnorm_backward(const char* fn, int ordinal, void* stream, float* dx, float* dgamma,
                                       float* dbeta, const float* dy, const float* x, const float* mean,
                                       const float* rstd, const float* gamma, const float* beta,
                                       const d4j_gn_shape* s, int silu, float* scratch);
#ifdef __cplusplus
}
#endif

#endif /* D4J_GROUPNORM_H */
