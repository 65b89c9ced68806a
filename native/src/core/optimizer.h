/*
 * optimizer.h — internal declarations of the multi-tensor optimizer ops:
 * AdamW (adamw.c), global-norm gradient clipping (clip_grad_norm.c) and the
 * EMA of weights (ema.c), and the checks of their tensor lists (tensor_list.c).
 */
#ifndef D4J_OPTIMIZER_H
#define D4J_OPTIMIZER_H

#include "backend_cpu.h"
#include "d4j.h"

/* Hyper-parameters of one AdamW step, bias corrections folded in (float64 on the host). */
typedef struct d4j_adamw_step_params {
    float lr, beta1, beta2, eps, weight_decay;
    float step_size;       /* lr / (1 − β1^t) */
    float bias2_sqrt_inv;  /* 1 / sqrt(1 − β2^t) */
} d4j_adamw_step_params;

D4J_CPU_DECLARE(void, adamw, (float* p, float* m, float* v, const float* g, int64_t n, const d4j_adamw_step_params* h))
D4J_CPU_DECLARE(double, sum_squares, (const float* g, int64_t n))
D4J_CPU_DECLARE(void, scale, (float* g, int64_t n, float factor))
D4J_CPU_DECLARE(void, ema, (float* ema, const float* p, int64_t n, float decay))

#ifdef __cplusplus
extern "C" {
#endif
d4j_status d4j_cuda_adamw(const char* fn, int ordinal, void* stream, float* p, float* m, float* v, const float* g,
                          int64_t n, const d4j_adamw_step_params* h);
/* sumsq (device, one float) += Σ g² */
d4j_status d4j_cuda_sum_squares(const char* fn, int ordinal, void* stream, float* sumsq, const float* g, int64_t n);
/* norm = sqrt(sumsq); then g *= min(1, max_norm / (norm + 1e-6)) — all on the device */
d4j_status d4j_cuda_clip_finish(const char* fn, int ordinal, void* stream, float* norm, const float* sumsq);
d4j_status d4j_cuda_clip_scale(const char* fn, int ordinal, void* stream, float* g, int64_t n, const float* norm,
                               float max_norm);
d4j_status d4j_cuda_ema(const char* fn, int ordinal, void* stream, float* ema, const float* p, int64_t n, float decay);
#ifdef __cplusplus
}
#endif

/* Every list[i] live on ctx's device and, when like is given, shaped like like[i]. */
struct d4j_tensor;
d4j_status d4j_check_tensor_list(const char* fn, const char* name, d4j_tensor* const* list, int32_t count,
                                 const d4j_ctx* ctx, d4j_tensor* const* like, const char* like_name);
/* A tensor an op writes (a list with written[l] != 0) may appear only once across all the lists;
 * tensors it only reads may repeat. Names the first two places of a repeated one. */
d4j_status d4j_check_distinct(const char* fn, int nlists, d4j_tensor* const* const* lists, const char* const* names,
                              const int* written, int32_t count);

#endif /* D4J_OPTIMIZER_H */
