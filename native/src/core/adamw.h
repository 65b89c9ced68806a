/*
 * adamw.h — kernel contract of the multi-tensor AdamW step (front door
 * ops/adamw.c; kernels in cpu/adamw.c, cuda/adamw.cu).
 */
#ifndef D4J_ADAMW_H
#define D4J_ADAMW_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"
#include "tensor_table.h"

/* Hyper-parameters of one AdamW step, bias corrections folded in (float64 on the host). */
typedef struct d4j_adamw_step_params {
    float lr, beta1, beta2, eps, weight_decay;
    float step_size;       /* lr / (1 − β1^t) */
    float bias2_sqrt_inv;  /* 1 / sqrt(1 − β2^t) */
} d4j_adamw_step_params;

D4J_CPU_DECLARE(void, adamw, (float* p, float* m, float* v, const float* g, int64_t n, const d4j_adamw_step_params* h))

#ifdef __cplusplus
extern "C" {
#endif
d4j_status d4j_cuda_adamw(const char* fn, int ordinal, void* stream, const d4j_tensor_table* t,
                          const d4j_adamw_step_params* h);
#ifdef __cplusplus
}
#endif

#endif /* D4J_ADAMW_H */
