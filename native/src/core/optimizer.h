/*
 * optimizer.h — kernel contracts of the multi-tensor optimizer ops:
 * AdamW (ops/adamw.c), global-norm gradient clipping (ops/clip_grad_norm.c) and the
 * EMA of weights (ops/ema.c), the checks of their tensor lists (runtime/tensor_list.c),
 * and the tensor tables their CUDA launches take.
 */
#ifndef D4J_OPTIMIZER_H
#define D4J_OPTIMIZER_H

#include "../runtime/backend_cpu.h"
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

/* Up to D4J_TABLE_TENSORS tensors of up to D4J_TABLE_LISTS lists, passed by value as
 * one CUDA kernel parameter (under the 4 KiB limit): one launch updates them all.
 * Their elements are laid end to end: tensor i holds [start[i], start[i+1]). */
#define D4J_TABLE_TENSORS 32
#define D4J_TABLE_LISTS 4
typedef struct d4j_tensor_table {
    float* data[D4J_TABLE_LISTS][D4J_TABLE_TENSORS]; /* data[list][i]: AdamW p, m, v, g; EMA ema, p; clip g */
    int64_t start[D4J_TABLE_TENSORS + 1];
    int32_t count;
} d4j_tensor_table;

/* Blocks of a multi-tensor launch at most; the sum of squares leaves one float64 partial per block. */
#define D4J_CUDA_TABLE_BLOCKS 1024

#ifdef __cplusplus
extern "C" {
#endif
d4j_status d4j_cuda_adamw(const char* fn, int ordinal, void* stream, const d4j_tensor_table* t,
                          const d4j_adamw_step_params* h);
d4j_status d4j_cuda_ema(const char* fn, int ordinal, void* stream, const d4j_tensor_table* t, float decay);
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

/* Every list[i] passes d4j_check_output (written != 0) or d4j_check_tensor and, when like is
 * given, is shaped like like[i]. */
struct d4j_tensor;
d4j_status d4j_check_tensor_list(const char* fn, const char* name, d4j_tensor* const* list, int32_t count,
                                 const d4j_ctx* ctx, d4j_tensor* const* like, const char* like_name, int written);
/* A tensor an op writes (a list with written[l] != 0) may appear only once across all the lists;
 * tensors it only reads may repeat. Names the first two places of a repeated one. */
d4j_status d4j_check_distinct(const char* fn, int nlists, d4j_tensor* const* const* lists, const char* const* names,
                              const int* written, int32_t count);
/* Fills t with the tensors of the lists (nlists <= D4J_TABLE_LISTS) from index `first` on, as many as
 * fit in one table; returns the index after the last one taken. */
int32_t d4j_table_fill(d4j_tensor_table* t, int nlists, d4j_tensor* const* const* lists, int32_t first, int32_t count);

#endif /* D4J_OPTIMIZER_H */
