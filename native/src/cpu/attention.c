/*
 * attention.c — multi-head self-attention over feature-map tokens (CPU), per
 * (sample, head), on the 6×16 register tile of gemm_tile.h:
 *   forward   S = Q Kᵀ/√D for 6 queries at a time, P = softmax(S) (lse kept),
 *             O = P V; only 6 rows of S exist at once.
 *   backward  FlashAttention-2's recomputation: P = exp(S − lse),
 *             dP = dO Vᵀ, dS = P ∘ (dP − rowsum(dO ∘ O)) / √D,
 *             dQ = dS K, dK = dSᵀ Q, dV = Pᵀ dO, query block by query block.
 * K, V (and the blocks' Q, dO) are packed into 16-column panels per head; the
 * 6 A-rows of a tile are plain row pointers (queries, P rows, dS rows).
 * Parallel over (sample, head) pairs.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/attention.h"
#include "../core/expf.h"
#include "gemm_tile.h"

#define QBLOCK 48 /* queries per backward block (a multiple of the tile's 6 rows) */

static int64_t round16(int64_t x) { return (x + 15) / 16 * 16; }

/* dst[p][r][16] = src row (p*16 + c) at column r, rows < nrows, columns < ncols: rows of
 * src become panel columns (for Kᵀ/Vᵀ: key rows -> columns, d -> k index). */
static void pack_rows_as_columns(float* dst, const float* src, int64_t stride, int64_t nrows, int64_t ncols) {
    for (int64_t p = 0; p < round16(nrows) / 16; p++)
        for (int64_t r = 0; r < ncols; r++)
            for (int c = 0; c < 16; c++) {
                int64_t row = p * 16 + c;
                dst[(p * ncols + r) * 16 + c] = row < nrows ? src[row * stride + r] : 0.0f;
            }
}

/* dst[p][r][16] = src row r at column (p*16 + c): panels over columns, k = rows (for K, V, Q, dO). */
static void pack_columns(float* dst, const float* src, int64_t stride, int64_t nrows, int64_t ncols) {
    for (int64_t p = 0; p < round16(ncols) / 16; p++)
        for (int64_t r = 0; r < nrows; r++)
            for (int c = 0; c < 16; c++) {
                int64_t col = p * 16 + c;
                dst[(p * nrows + r) * 16 + c] = col < ncols ? src[r * stride + col] : 0.0f;
            }
}

/* C rows (6 pointers, ldc-free) = A rows · packed B over all column panels of width `cols`. */
static void tile_rows(const float* const a[6], int64_t kt, const float* packed, int64_t panels, int64_t cols,
                      float* const c[6], int rows, int mode) {
    for (int64_t p = 0; p < panels; p++) {
        float* cp[6];
        for (int i = 0; i < 6; i++) cp[i] = c[i] + p * 16;
        int w = (int)(cols - p * 16 < 16 ? cols - p * 16 : 16);
        d4j_tile_6x16(1, a, kt, packed + p * kt * 16, cp, rows, w, NULL, mode);
    }
}

int D4J_CPU(attention_forward)(float* out, float* lse, const float* qkv, const d4j_attn_shape* s) {
    const int64_t L = s->l, C = s->c, D = s->d, H = s->heads, ld = 3 * C, lp = round16(L), dp = round16(D);
    const float scale = 1.0f / sqrtf((float)D);
    int failed = 0;
#pragma omp parallel
    {
        float* kt = NULL; /* 64-byte aligned: the tile kernel loads packed panels with aligned loads */
        if (posix_memalign((void**)&kt, 64, (size_t)(lp * D + dp * L + 6 * lp) * sizeof(float)) != 0) kt = NULL;
        if (!kt) {
#pragma omp atomic write
            failed = 1;
        }
        float* vp = kt ? kt + lp * D : NULL;
        float* srow = kt ? vp + dp * L : NULL;
#pragma omp for schedule(dynamic, 1)
        for (int64_t nh = 0; nh < s->n * H; nh++) {
            if (!kt) continue;
            int64_t n = nh / H, h = nh % H;
            const float* q = qkv + n * L * ld + h * D;
            const float* k = q + C;
            const float* v = q + 2 * C;
            pack_rows_as_columns(kt, k, ld, L, D); /* Kᵀ panels: k index d, columns = keys */
            pack_columns(vp, v, ld, L, D);         /* V panels: k index = keys, columns = d */
            for (int64_t i0 = 0; i0 < L; i0 += 6) {
                int rows = (int)(L - i0 < 6 ? L - i0 : 6);
                const float* a[6];
                float* sr[6];
                float* o[6];
                for (int i = 0; i < 6; i++) {
                    int64_t qi = i0 + (i < rows ? i : 0);
                    a[i] = q + qi * ld;
                    sr[i] = srow + i * lp;
                    o[i] = out + (n * L + qi) * C + h * D;
                }
                tile_rows(a, D, kt, lp / 16, L, sr, rows, 0); /* S = Q Kᵀ */
                const float* pr[6];
                for (int i = 0; i < rows; i++) {
                    float* r = sr[i];
                    float mx = -INFINITY;
                    for (int64_t j = 0; j < L; j++) mx = fmaxf(mx, r[j] * scale);
                    float sum = 0.0f;
                    for (int64_t j = 0; j < L; j++) {
                        r[j] = d4j_expf(fmaf(r[j], scale, -mx));
                        sum += r[j];
                    }
                    lse[nh * L + i0 + i] = mx + logf(sum);
                    float inv = 1.0f / sum;
                    for (int64_t j = 0; j < L; j++) r[j] *= inv;
                }
                for (int i = 0; i < 6; i++) pr[i] = sr[i < rows ? i : 0];
                tile_rows(pr, L, vp, dp / 16, D, o, rows, 0); /* O = P V */
            }
        }
        free(kt);
    }
    return failed ? -1 : 0;
}

int D4J_CPU(attention_backward)(float* dqkv, const float* dout, const float* qkv, const float* out, const float* lse,
                                const d4j_attn_shape* s) {
    const int64_t L = s->l, C = s->c, D = s->d, H = s->heads, ld = 3 * C, lp = round16(L), dp = round16(D);
    const float scale = 1.0f / sqrtf((float)D);
    const size_t per_thread = (size_t)(lp * D * 2 + dp * L + dp * QBLOCK * 2 + 12 * lp + 2 * L * QBLOCK + 2 * L * dp + L);
    int failed = 0;
#pragma omp parallel
    {
        float* kt = NULL; /* 64-byte aligned; every sub-buffer starts at a multiple of 16 floats */
        if (posix_memalign((void**)&kt, 64, per_thread * sizeof(float)) != 0) kt = NULL;
        if (!kt) {
#pragma omp atomic write
            failed = 1;
        }
        float* vt = kt ? kt + lp * D : NULL;       /* Vᵀ panels (for dP = dO Vᵀ) */
        float* kp = kt ? vt + lp * D : NULL;       /* K panels (for dQ = dS K) */
        float* qp = kt ? kp + dp * L : NULL;       /* the block's Q panels */
        float* op = kt ? qp + dp * QBLOCK : NULL;  /* the block's dO panels */
        float* prow = kt ? op + dp * QBLOCK : NULL; /* 6 rows of P */
        float* dsrow = kt ? prow + 6 * lp : NULL;   /* 6 rows of dP, then dS */
        float* pt = kt ? dsrow + 6 * lp : NULL;     /* Pᵀ of the block (L × QBLOCK) */
        float* dst = kt ? pt + L * QBLOCK : NULL;   /* dSᵀ of the block */
        float* dk = kt ? dst + L * QBLOCK : NULL;   /* dK accumulator (L × dp) */
        float* dv = kt ? dk + L * dp : NULL;        /* dV accumulator */
        float* di = kt ? dv + L * dp : NULL;        /* D_i = dO_i · O_i */
#pragma omp for schedule(dynamic, 1)
        for (int64_t nh = 0; nh < s->n * H; nh++) {
            if (!kt) continue;
            int64_t n = nh / H, h = nh % H;
            const float* q = qkv + n * L * ld + h * D;
            const float* k = q + C;
            const float* v = q + 2 * C;
            const float* o = out + n * L * C + h * D;
            const float* go = dout + n * L * C + h * D;
            float* gq = dqkv + n * L * ld + h * D;
            float* gk = gq + C;
            float* gv = gq + 2 * C;
            pack_rows_as_columns(kt, k, ld, L, D);
            pack_rows_as_columns(vt, v, ld, L, D);
            pack_columns(kp, k, ld, L, D);
            memset(dk, 0, (size_t)(2 * L * dp) * sizeof(float));
            for (int64_t i = 0; i < L; i++) {
                float acc = 0.0f;
                for (int64_t d = 0; d < D; d++) acc = fmaf(go[i * C + d], o[i * C + d], acc);
                di[i] = acc;
            }
            for (int64_t b0 = 0; b0 < L; b0 += QBLOCK) {
                int64_t nb = L - b0 < QBLOCK ? L - b0 : QBLOCK;
                pack_columns(qp, q + b0 * ld, ld, nb, D);
                pack_columns(op, go + b0 * C, C, nb, D);
                for (int64_t i0 = b0; i0 < b0 + nb; i0 += 6) {
                    int rows = (int)(b0 + nb - i0 < 6 ? b0 + nb - i0 : 6);
                    const float* aq[6];
                    const float* ao[6];
                    float* pr[6];
                    float* dr[6];
                    float* cq[6];
                    for (int i = 0; i < 6; i++) {
                        int64_t qi = i0 + (i < rows ? i : 0);
                        aq[i] = q + qi * ld;
                        ao[i] = go + qi * C;
                        pr[i] = prow + i * lp;
                        dr[i] = dsrow + i * lp;
                        cq[i] = gq + qi * ld;
                    }
                    tile_rows(aq, D, kt, lp / 16, L, pr, rows, 0); /* S */
                    tile_rows(ao, D, vt, lp / 16, L, dr, rows, 0); /* dP = dO Vᵀ */
                    for (int i = 0; i < rows; i++) {
                        int64_t qi = i0 + i, il = qi - b0;
                        float l_i = lse[nh * L + qi], d_i = di[qi];
                        for (int64_t j = 0; j < L; j++) {
                            float p = d4j_expf(fmaf(pr[i][j], scale, -l_i));
                            float ds = D4J_MUL(D4J_MUL(p, D4J_SUB(dr[i][j], d_i)), scale);
                            dr[i][j] = ds;
                            pt[j * nb + il] = p;
                            dst[j * nb + il] = ds;
                        }
                    }
                    const float* ad[6];
                    for (int i = 0; i < 6; i++) ad[i] = dr[i < rows ? i : 0];
                    tile_rows(ad, L, kp, dp / 16, D, cq, rows, 0); /* dQ = dS K */
                }
                for (int64_t j0 = 0; j0 < L; j0 += 6) { /* dV += Pᵀ dO, dK += dSᵀ Q over this block */
                    int rows = (int)(L - j0 < 6 ? L - j0 : 6);
                    const float* ap[6];
                    const float* as[6];
                    float* cv[6];
                    float* ck[6];
                    for (int i = 0; i < 6; i++) {
                        int64_t j = j0 + (i < rows ? i : 0);
                        ap[i] = pt + j * nb;
                        as[i] = dst + j * nb;
                        cv[i] = dv + j * dp;
                        ck[i] = dk + j * dp;
                    }
                    tile_rows(ap, nb, op, dp / 16, D, cv, rows, 1);
                    tile_rows(as, nb, qp, dp / 16, D, ck, rows, 1);
                }
            }
            for (int64_t j = 0; j < L; j++) {
                memcpy(gk + j * ld, dk + j * dp, (size_t)D * sizeof(float));
                memcpy(gv + j * ld, dv + j * dp, (size_t)D * sizeof(float));
            }
        }
        free(kt);
    }
    return failed ? -1 : 0;
}
