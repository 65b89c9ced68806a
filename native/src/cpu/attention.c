/*
 * attention.c — multi-head self-attention over feature-map tokens (CPU) on the
 * 6×16 register tile of gemm_tile.h, per (sample, head) pair:
 *   forward   for 6 queries at a time S = Q Kᵀ, P̃ = exp(S/√D − m) with m the
 *             row max, O = P̃ V / rowsum(P̃), lse = m + log rowsum(P̃); only 6
 *             rows of S exist at once.
 *   backward  FlashAttention-2's recomputation, a block of 48 queries at a time:
 *             P = exp(S/√D − lse), dP = dO Vᵀ, dS = P ∘ (dP − D_i)/√D with
 *             D_i = dO_i·O_i; dQ = dS K row by row; dVᵀ += dOᵀ P, dKᵀ += Qᵀ dS,
 *             with P and dS written straight into 16-key panels (no transpose
 *             of a block of the L×L matrix).
 * Parallel over (sample, head, query chunk) items (d4j_attn_chunks): with few
 * heads a head's queries are split into chunks, its K/V panels packed once
 * beforehand, and the backward's dK/dV partials of the chunks summed in a fixed
 * order afterwards. Row-wise softmax work runs on 8-float vectors (GCC vector
 * extensions: ymm registers in the AVX2 build, SSE pairs in the generic one).
 */
#include <math.h>
#include <omp.h>
#include <string.h>

#include "../core/attention.h"
#include "../core/expf.h"
#include "gemm_tile.h"
#include "transpose.h"

typedef int32_t attn_v8i __attribute__((vector_size(32), aligned(32)));

static float hmax8(d4j_v8 v) {
    float l[8], m;
    memcpy(l, &v, sizeof l);
    m = l[0];
    for (int i = 1; i < 8; i++) m = l[i] > m ? l[i] : m;
    return m;
}

static float hsum8(d4j_v8 v) {
    float l[8];
    memcpy(l, &v, sizeof l);
    return ((l[0] + l[4]) + (l[1] + l[5])) + ((l[2] + l[6]) + (l[3] + l[7]));
}

/* dst[p][r][16] = src row (p*16 + c) at column r, rows < nrows, columns < ncols: rows of
 * src become panel columns (for Kᵀ/Vᵀ: key rows -> columns, d -> k index). */
static void pack_rows_as_columns(float* dst, const float* src, int64_t stride, int64_t nrows, int64_t ncols) {
    for (int64_t p = 0; p < d4j_attn_round16(nrows) / 16; p++) {
        int64_t rows = nrows - p * 16 < 16 ? nrows - p * 16 : 16;
        float* d = dst + p * ncols * 16;
        d4j_transpose(d, 16, src + p * 16 * stride, stride, rows, ncols);
        for (int64_t r = 0; rows < 16 && r < ncols; r++) memset(d + r * 16 + rows, 0, (size_t)(16 - rows) * sizeof(float));
    }
}

/* dst[p][r][16] = src row r at column (p*16 + c): panels over columns, k = rows (for K, V). */
static void pack_columns(float* dst, const float* src, int64_t stride, int64_t nrows, int64_t ncols) {
    for (int64_t p = 0; p < d4j_attn_round16(ncols) / 16; p++) {
        int64_t cols = ncols - p * 16 < 16 ? ncols - p * 16 : 16;
        for (int64_t r = 0; r < nrows; r++) {
            float* d = dst + (p * nrows + r) * 16;
            if (cols == 16) {
                memcpy(d, src + r * stride + p * 16, 16 * sizeof(float)); /* a constant size: inlined */
            } else {
                memcpy(d, src + r * stride + p * 16, (size_t)cols * sizeof(float));
                memset(d + cols, 0, (size_t)(16 - cols) * sizeof(float));
            }
        }
    }
}

/* a · b over n floats (eight lanes, then the tail) */
static float dot(const float* a, const float* b, int64_t n) {
    d4j_v8 s = d4j_v8_splat(0.0f);
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) s = D4J_VFMA(*(const d4j_v8u*)(a + j), *(const d4j_v8u*)(b + j), s);
    float r = hsum8(s);
    for (; j < n; j++) r = fmaf(a[j], b[j], r);
    return r;
}

/* C rows (6 pointers) = A rows · packed B over all column panels, `cols` columns stored. */
static void tile_rows(const float* const a[6], int64_t kt, const float* packed, int64_t cols, float* const c[6],
                      int rows, int mode) {
    for (int64_t p = 0; p < d4j_attn_round16(cols) / 16; p++) {
        float* cp[6];
        for (int i = 0; i < 6; i++) cp[i] = c[i] + p * 16;
        int w = (int)(cols - p * 16 < 16 ? cols - p * 16 : 16);
        d4j_tile_6x16(1, a, kt, packed + p * kt * 16, cp, rows, w, NULL, mode);
    }
}

static float row_max(const float* x, int64_t n) {
    d4j_v8 m = d4j_v8_splat(-INFINITY);
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) {
        d4j_v8 v = *(const d4j_v8u*)(x + j);
        attn_v8i gt = (attn_v8i)(v > m);
        m = (d4j_v8)(((attn_v8i)v & gt) | ((attn_v8i)m & ~gt));
    }
    float r = hmax8(m);
    for (; j < n; j++) r = x[j] > r ? x[j] : r;
    return r;
}

/* x[j] = exp(x[j]·scale − shift) for j < n; returns their sum (eight lanes, then the tail). */
static float exp_row(float* x, int64_t n, float scale, float shift) {
    for (int64_t j = 0; j < n; j++) x[j] = d4j_expf(fmaf(x[j], scale, -shift));
    d4j_v8 s = d4j_v8_splat(0.0f);
    int64_t j = 0;
    for (; j + 8 <= n; j += 8) s = s + *(const d4j_v8u*)(x + j);
    float r = hsum8(s);
    for (; j < n; j++) r += x[j];
    return r;
}

/* Per-head panels: Kᵀ (lp·D), then in the backward Vᵀ (lp·D); then K (backward) or V (forward) (dp·L). */
static void pack_head(float* panels, const float* qkv, const d4j_attn_shape* s, int64_t nh, int backward) {
    const int64_t L = s->l, D = s->d, C = s->c, ld = 3 * C, lp = d4j_attn_round16(L);
    const float* k = qkv + (nh / s->heads) * L * ld + (nh % s->heads) * D + C;
    const float* v = k + C;
    pack_rows_as_columns(panels, k, ld, L, D);
    if (backward) {
        pack_rows_as_columns(panels + lp * D, v, ld, L, D);
        pack_columns(panels + 2 * lp * D, k, ld, L, D);
    } else {
        pack_columns(panels + lp * D, v, ld, L, D);
    }
}

/* Item = (sample·heads + head)·chunks + chunk: its pair nh and query range [q0, q1), in whole blocks. */
static void item_range(const d4j_attn_shape* s, int64_t chunks, int64_t item, int64_t* nh, int64_t* q0, int64_t* q1) {
    int64_t blocks = (s->l + D4J_ATTN_QBLOCK - 1) / D4J_ATTN_QBLOCK, ch = item % chunks;
    int64_t b0 = ch * blocks / chunks, b1 = (ch + 1) * blocks / chunks;
    *nh = item / chunks;
    *q0 = b0 * D4J_ATTN_QBLOCK;
    *q1 = b1 * D4J_ATTN_QBLOCK < s->l ? b1 * D4J_ATTN_QBLOCK : s->l;
}

/* With chunks, every head's panels are packed once, before the items that share them
 * (call inside the parallel region: the loop ends in a barrier). */
static void pack_all_heads(float* shared, const float* qkv, const d4j_attn_shape* s, int backward) {
    if (d4j_attn_chunks(s) == 1) return;
    const int64_t stride = d4j_attn_head_panel_floats(s, backward);
#pragma omp for schedule(static)
    for (int64_t nh = 0; nh < s->n * s->heads; nh++) pack_head(shared + nh * stride, qkv, s, nh, backward);
}

/* The panels of head nh: packed beforehand with chunks, else now into the start of the thread's own scratch. */
static const float* head_panels(float* own, const float* shared, const float* qkv, const d4j_attn_shape* s, int64_t nh,
                                int backward) {
    if (d4j_attn_chunks(s) > 1) return shared + nh * d4j_attn_head_panel_floats(s, backward);
    pack_head(own, qkv, s, nh, backward);
    return own;
}

void D4J_CPU(attention_forward)(float* out, float* lse, const float* qkv, const d4j_attn_shape* s, float* scratch,
                                int threads) {
    const int64_t L = s->l, C = s->c, D = s->d, ld = 3 * C, lp = d4j_attn_round16(L);
    const int64_t chunks = d4j_attn_chunks(s), per_thread = d4j_attn_thread_floats(s, 0);
    const int64_t head_floats = d4j_attn_head_panel_floats(s, 0);
    float* shared = scratch + threads * per_thread;
    const float scale = 1.0f / sqrtf((float)D);
#pragma omp parallel num_threads(threads)
    {
        float* own = scratch + omp_get_thread_num() * per_thread;
        float* srow = chunks > 1 ? own : own + head_floats; /* 6 rows of S, then of P̃ */
        pack_all_heads(shared, qkv, s, 0);
#pragma omp for schedule(dynamic, 1)
        for (int64_t item = 0; item < s->n * s->heads * chunks; item++) {
            int64_t nh, q0, q1;
            item_range(s, chunks, item, &nh, &q0, &q1);
            const float* kt = head_panels(own, shared, qkv, s, nh, 0);
            const float* vp = kt + lp * D;
            const int64_t n = nh / s->heads, h = nh % s->heads;
            const float* q = qkv + n * L * ld + h * D;
            for (int64_t i0 = q0; i0 < q1; i0 += 6) {
                int rows = (int)(q1 - i0 < 6 ? q1 - i0 : 6);
                const float* a[6];
                const float* pr[6];
                float* sr[6];
                float* o[6];
                float inv[6];
                for (int i = 0; i < 6; i++) {
                    int64_t qi = i0 + (i < rows ? i : 0);
                    a[i] = q + qi * ld;
                    sr[i] = srow + (i < rows ? i : 0) * lp;
                    pr[i] = sr[i];
                    o[i] = out + (n * L + qi) * C + h * D;
                }
                tile_rows(a, D, kt, L, sr, rows, 0); /* S = Q Kᵀ */
                for (int i = 0; i < rows; i++) {
                    float m = row_max(sr[i], L) * scale; /* scale > 0: the max of S/√D */
                    float sum = exp_row(sr[i], L, scale, m);
                    lse[nh * L + i0 + i] = m + logf(sum);
                    inv[i] = 1.0f / sum;
                }
                tile_rows(pr, L, vp, D, o, rows, 0); /* O = P̃ V, then / rowsum(P̃) */
                for (int i = 0; i < rows; i++)
                    for (int64_t d = 0; d < D; d++) o[i][d] *= inv[i];
            }
        }
    }
}

void D4J_CPU(attention_backward)(float* dqkv, const float* dout, const float* qkv, const float* out, const float* lse,
                                 const d4j_attn_shape* s, float* scratch, int threads) {
    const int64_t L = s->l, C = s->c, D = s->d, ld = 3 * C, lp = d4j_attn_round16(L), qb = D4J_ATTN_QBLOCK;
    const int64_t d16 = d4j_attn_round16(D), chunks = d4j_attn_chunks(s), per_thread = d4j_attn_thread_floats(s, 1);
    const int64_t head_floats = d4j_attn_head_panel_floats(s, 1), part_floats = d4j_attn_round16(2 * L * D);
    float* shared = scratch + threads * per_thread;
    float* parts = shared + s->n * s->heads * head_floats; /* per (pair, chunk): dK then dV, (L, D) each */
    const float scale = 1.0f / sqrtf((float)D);
#pragma omp parallel num_threads(threads)
    {
        float* own = scratch + omp_get_thread_num() * per_thread;
        float* srow = chunks > 1 ? own : own + head_floats; /* 6 rows of S */
        float* dprow = srow + 6 * lp;                       /* 6 rows of dP, then dS */
        float* qt = dprow + 6 * lp;                         /* the block's Qᵀ (D × nb) */
        float* got = qt + d16 * qb;                         /* the block's dOᵀ */
        float* ppan = got + d16 * qb;                       /* the block's P as panels: [key/16][query][16] */
        float* span = ppan + lp * qb;                       /* the block's dS likewise */
        float* dkt = span + lp * qb;                        /* dKᵀ (D × lp) */
        float* dvt = dkt + d16 * lp;                        /* dVᵀ */
        float* di = dvt + d16 * lp;                         /* D_i of the block's queries */
        pack_all_heads(shared, qkv, s, 1);
#pragma omp for schedule(dynamic, 1)
        for (int64_t item = 0; item < s->n * s->heads * chunks; item++) {
            int64_t nh, q0, q1;
            item_range(s, chunks, item, &nh, &q0, &q1);
            const float* kt = head_panels(own, shared, qkv, s, nh, 1);
            const float* vt = kt + lp * D;
            const float* kp = vt + lp * D;
            const int64_t n = nh / s->heads, h = nh % s->heads;
            const float* q = qkv + n * L * ld + h * D;
            const float* o = out + n * L * C + h * D;
            const float* go = dout + n * L * C + h * D;
            float* gq = dqkv + n * L * ld + h * D;
            for (int64_t b0 = q0; b0 < q1; b0 += qb) {
                int64_t nb = q1 - b0 < qb ? q1 - b0 : qb;
                for (int64_t i = 0; i < nb; i++) di[i] = dot(go + (b0 + i) * C, o + (b0 + i) * C, D);
                d4j_transpose(qt, nb, q + b0 * ld, ld, nb, D);
                d4j_transpose(got, nb, go + b0 * C, C, nb, D);
                for (int64_t i0 = b0; i0 < b0 + nb; i0 += 6) {
                    int rows = (int)(b0 + nb - i0 < 6 ? b0 + nb - i0 : 6);
                    const float* aq[6];
                    const float* ao[6];
                    const float* ad[6];
                    float* sr[6];
                    float* dr[6];
                    float* cq[6];
                    for (int i = 0; i < 6; i++) {
                        int64_t qi = i0 + (i < rows ? i : 0);
                        aq[i] = q + qi * ld;
                        ao[i] = go + qi * C;
                        sr[i] = srow + (i < rows ? i : 0) * lp;
                        dr[i] = dprow + (i < rows ? i : 0) * lp;
                        ad[i] = dr[i];
                        cq[i] = gq + qi * ld;
                    }
                    tile_rows(aq, D, kt, lp, sr, rows, 0); /* S, zero past L */
                    tile_rows(ao, D, vt, lp, dr, rows, 0); /* dP = dO Vᵀ */
                    for (int i = 0; i < rows; i++) {
                        int64_t il = i0 + i - b0;
                        float l_i = lse[nh * L + i0 + i], d_i = di[il];
                        float* pp = ppan + il * 16;
                        float* sp = span + il * 16;
                        float* x = sr[i];
                        float* y = dr[i];
                        for (int64_t p = 0; p < lp / 16; p++)
                            for (int c = 0; c < 16; c++) {
                                int64_t j = p * 16 + c;
                                float pv = d4j_expf(fmaf(x[j], scale, -l_i));
                                float ds = D4J_MUL(D4J_MUL(pv, D4J_SUB(y[j], d_i)), scale);
                                y[j] = ds;
                                pp[p * nb * 16 + c] = pv;
                                sp[p * nb * 16 + c] = ds;
                            }
                        for (int64_t j = L; j < lp; j++) /* keys past L: no probability, no gradient */
                            pp[(j / 16) * nb * 16 + j % 16] = sp[(j / 16) * nb * 16 + j % 16] = 0.0f;
                    }
                    tile_rows(ad, L, kp, D, cq, rows, 0); /* dQ = dS K */
                }
                const float* av[6];
                const float* ak[6];
                float* cv[6];
                float* ck[6];
                for (int64_t d0 = 0; d0 < D; d0 += 6) { /* dVᵀ += dOᵀ P, dKᵀ += Qᵀ dS over this block */
                    int rows = (int)(D - d0 < 6 ? D - d0 : 6);
                    for (int i = 0; i < 6; i++) {
                        int64_t d = d0 + (i < rows ? i : 0);
                        av[i] = got + d * nb;
                        ak[i] = qt + d * nb;
                        cv[i] = dvt + d * lp;
                        ck[i] = dkt + d * lp;
                    }
                    tile_rows(av, nb, ppan, L, cv, rows, b0 > q0);
                    tile_rows(ak, nb, span, L, ck, rows, b0 > q0);
                }
            }
            /* dK, dV of this chunk: into dqkv, or into the chunk's partials */
            float* gk = chunks > 1 ? parts + item * part_floats : gq + C;
            float* gv = chunks > 1 ? gk + L * D : gq + 2 * C;
            int64_t gld = chunks > 1 ? D : ld;
            d4j_transpose(gk, gld, dkt, lp, D, L);
            d4j_transpose(gv, gld, dvt, lp, D, L);
        }
        if (chunks > 1) { /* sum each head's chunks in chunk order */
#pragma omp for schedule(static)
            for (int64_t row = 0; row < s->n * s->heads * L; row++) {
                int64_t nh = row / L, j = row % L, n = nh / s->heads, h = nh % s->heads;
                float* gk = dqkv + (n * L + j) * ld + C + h * D;
                float* gv = gk + C;
                const float* pk = parts + nh * chunks * part_floats + j * D;
                for (int64_t d = 0; d < D; d++) gk[d] = gv[d] = 0.0f;
                for (int64_t ch = 0; ch < chunks; ch++, pk += part_floats)
                    for (int64_t d = 0; d < D; d++) {
                        gk[d] += pk[d];
                        gv[d] += pk[L * D + d];
                    }
            }
        }
    }
}
