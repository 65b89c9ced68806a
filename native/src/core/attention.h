/*
 * attention.h — internal declarations of fused multi-head self-attention.
 * qkv (N, L, 3C) channels [q | k | v]; head h uses channels [hD, (h+1)D) of
 * each, D = C / heads; out (N, L, C); lse (N, heads, L) row log-sum-exps.
 */
#ifndef D4J_ATTENTION_H
#define D4J_ATTENTION_H

#include "backend_cpu.h"
#include "d4j.h"

typedef struct d4j_attn_shape {
    int64_t n, l, c, heads, d;
} d4j_attn_shape;

/* Each returns 0, or -1 when scratch memory could not be allocated. */
D4J_CPU_DECLARE(int, attention_forward, (float* out, float* lse, const float* qkv, const d4j_attn_shape* s))
D4J_CPU_DECLARE(int, attention_backward, (float* dqkv, const float* dout, const float* qkv, const float* out,
                                          const float* lse, const d4j_attn_shape* s))

#ifdef __cplusplus
extern "C" {
#endif
d4j_status d4j_cuda_attention_forward(const char* fn, int ordinal, void* stream, float* out, float* lse,
                                      const float* qkv, const d4j_attn_shape* s);
/* scratch: device memory for N·heads·L floats (the row terms D_i = dO_i·O_i) */
d4j_status d4j_cuda_attention_backward(const char* fn, int ordinal, void* stream, float* dqkv, const float* dout,
                                       const float* qkv, const float* out, const float* lse, const d4j_attn_shape* s,
                                       float* scratch);
#ifdef __cplusplus
}
#endif

#endif /* D4J_ATTENTION_H */
