/*
 * attention.h — kernel contract of fused multi-head self-attention.
 * qkv (N, L, 3C) channels [q | k | v]; head h uses channels [hD, (h+1)D) of
 * each, D = C / heads; out (N, L, C); lse (N, heads, L) row log-sum-exps.
 */
#ifndef D4J_ATTENTION_H
#define D4J_ATTENTION_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"

typedef struct d4j_attn_shape {
    int64_t n, l, c, heads, d;
} d4j_attn_shape;

/* CPU work is cut into (sample, head, query chunk) items; a chunk is a run of
 * blocks of D4J_ATTN_QBLOCK queries (a multiple of the register tile's 6 rows). */
#define D4J_ATTN_QBLOCK 48
/* Heads are split into query chunks only while there are fewer (sample, head)
 * pairs than this: enough items for the cores of a large machine. */
#define D4J_ATTN_ITEMS 32

static inline int64_t d4j_attn_round16(int64_t x) { return (x + 15) / 16 * 16; }

/* Query chunks per (sample, head). A function of the shape alone, so the
 * backward's sums over chunks, and its bits, do not depend on the thread count. */
static inline int64_t d4j_attn_chunks(const d4j_attn_shape* s) {
    int64_t pairs = s->n * s->heads, blocks = (s->l + D4J_ATTN_QBLOCK - 1) / D4J_ATTN_QBLOCK;
    int64_t want = (D4J_ATTN_ITEMS + pairs - 1) / pairs;
    return want < blocks ? want : blocks;
}

/* Floats of CPU scratch the kernels take: per thread (rows of S and dP, block
 * panels, the dK/dV accumulators), and shared by all threads (every head's
 * packed K/V panels and the per-chunk dK/dV partials, only when heads are
 * split into chunks). Multiples of 16 floats, so 64-byte aligned slices stay so. */
static inline int64_t d4j_attn_head_panel_floats(const d4j_attn_shape* s, int backward) {
    int64_t lp = d4j_attn_round16(s->l), dp = d4j_attn_round16(s->d);
    return (backward ? 2 : 1) * lp * s->d + dp * s->l; /* Kᵀ (and Vᵀ) and K or V panels */
}
static inline int64_t d4j_attn_thread_floats(const d4j_attn_shape* s, int backward) {
    int64_t lp = d4j_attn_round16(s->l), d16 = d4j_attn_round16(s->d), qb = D4J_ATTN_QBLOCK;
    int64_t own = d4j_attn_chunks(s) > 1 ? 0 : d4j_attn_head_panel_floats(s, backward);
    if (!backward) return own + 6 * lp;
    return own + 12 * lp                /* 6 rows of S, 6 of dP then dS */
           + 2 * d16 * qb               /* the block's Qᵀ and dOᵀ */
           + 2 * lp * qb                /* the block's P and dS as 16-key panels */
           + 2 * d16 * lp               /* dKᵀ, dVᵀ accumulators */
           + d4j_attn_round16(qb);      /* the block's D_i = dO_i · O_i */
}
static inline int64_t d4j_attn_shared_floats(const d4j_attn_shape* s, int backward) {
    int64_t chunks = d4j_attn_chunks(s), pairs = s->n * s->heads;
    if (chunks == 1) return 0;
    return pairs * d4j_attn_head_panel_floats(s, backward) +
           (backward ? pairs * chunks * d4j_attn_round16(2 * s->l * s->d) : 0);
}

/* scratch: threads · d4j_attn_thread_floats + d4j_attn_shared_floats floats, 64-byte aligned */
D4J_CPU_DECLARE(void, attention_forward,
                (float* out, float* lse, const float* qkv, const d4j_attn_shape* s, float* scratch, int threads))
D4J_CPU_DECLARE(void, attention_backward, (float* dqkv, const float* dout, const float* qkv, const float* out,
                                           const float* lse, const d4j_attn_shape* s, float* scratch, int threads))

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
