/*
 * conv2d_bf16.c — bf16 mixed-precision 2-D convolution on the CPU (AVX-512 BF16
 * build only), the same three implicit GEMMs as conv2d.c:
 *   forward          y[m, co]   = Σ_tap Σ_ci x[pixel(m, tap), ci] · w[tap, ci, co] + b[co]
 *   backward data    dx[m, ci]  = Σ_tap Σ_co dy[pixel'(m, tap), co] · w[tap, ci, co]
 *   backward weights dw[tap, ci, co] += Σ_m x[pixel(m, tap), ci] · dy[m, co]
 * with both factors of every product rounded to bfloat16 (VCVTNE2PS2BF16: round
 * to nearest even) and the products summed in float32 by VDPBF16PS, which adds
 * to each float32 lane the dot product of one pair of bf16 values:
 *   c[j] += a[2j]·b[2j] + a[2j+1]·b[2j+1].
 * So the reduction index is taken in pairs: Cin for forward, Cout for backward
 * data (a channel pair is two adjacent bf16 of an NHWC pixel: the activations
 * are rounded once into a bf16 copy whose channel count is padded to even with a
 * zero), and pixels for backward weights (two pixels' channel vectors
 * interleaved into pairs, an odd pixel count padded with a zero pixel).
 * Weights stay float32 master copies; each call rounds and packs them.
 *
 * The register tile is 6 rows × 16 columns in twelve 256-bit accumulators, as
 * in gemm_tile.h: per pair of the reduction index, two 256-bit loads of packed
 * B (8 columns × 2 bf16 each) and for each row one 32-bit broadcast of its pair.
 * 256-bit rather than 512-bit vectors: Zen 4 executes a 512-bit VDPBF16PS as
 * two 256-bit halves, so a 6 × 32 tile of 512-bit accumulators does the same
 * work per cycle with the 16-column panels of the fp32 kernel traded for 32-wide
 * ones that waste more on 17/33-channel layers. Not yet timed on Zen 4. On an
 * Intel Xeon with two 512-bit FMA ports (2026-12-04) VDPBF16PS ran at half the
 * zmm fp32 FMA rate (benchmarks/vector-peaks) and these kernels took ~2.2× the
 * fp32 direct convolution's time: there bf16 pays only on AMX, and where the CPU
 * has AMX and Linux grants it the front door runs conv2d_amx.c instead.
 *
 * Built only by the AVX-512 build (the other two compile this file to nothing),
 * or, for tests/native/test_conv2d_bf16_emulated.c on any CPU, with the
 * intrinsics in software (D4J_BF16_EMULATION names the header that defines them).
 */
#if defined(D4J_BF16_EMULATION)
#include D4J_BF16_EMULATION
#define D4J_BF16_KERNELS 1
#elif defined(__AVX512BF16__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#include <immintrin.h>
#define D4J_BF16_KERNELS 1
#endif

#ifdef D4J_BF16_KERNELS
#include <stdlib.h>
#include <string.h>

#include "../core/conv2d_bf16.h"
#include "bf16_round.h"
#include "thread_split.h"

#define TM 6  /* tile rows */
#define TN 16 /* tile columns: two 8-lane vectors */
#define TILES_PER_BLOCK 8
#define MAX_TAPS D4J_CONV_MAX_TAPS

/* The 32-bit pair at p (p is 4-byte aligned: rows hold an even count of bf16). */
static inline int32_t pair_at(const bf16* p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/*
 * C[i][0:16] (+)= Σ_taps Σ_p pair(a_tap_i, p) · B_tap[p][0:16]
 * a:    taps × 6 row pointers, each kp pairs of bf16
 * b:    packed B: taps × kp × 16 columns × 2 bf16 (columns past the real ones zero)
 * c:    6 row pointers into C at the tile's first column; `rows`, `cols` real
 * init: 16 floats added to every row (bias) or NULL; mode 0 stores, 1 adds to C
 */
static inline void tile_6x16(int taps, const bf16* const* a, int64_t kp, const bf16* b, float* const* c, int rows,
                             int cols, const float* init, int mode) {
    __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    if (init) {
        __m256 i0 = _mm256_loadu_ps(init), i1 = _mm256_loadu_ps(init + 8);
        c00 = c10 = c20 = c30 = c40 = c50 = i0;
        c01 = c11 = c21 = c31 = c41 = c51 = i1;
    } else {
        c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_ps();
    }
    for (int t = 0; t < taps; t++) {
        const bf16* a0 = a[t * TM + 0];
        const bf16* a1 = a[t * TM + 1];
        const bf16* a2 = a[t * TM + 2];
        const bf16* a3 = a[t * TM + 3];
        const bf16* a4 = a[t * TM + 4];
        const bf16* a5 = a[t * TM + 5];
        const bf16* bt = b + (int64_t)t * kp * 2 * TN;
        for (int64_t p = 0; p < kp; p++) {
            __m256bh b0 = (__m256bh)_mm256_load_si256((const __m256i*)(bt + 2 * TN * p));
            __m256bh b1 = (__m256bh)_mm256_load_si256((const __m256i*)(bt + 2 * TN * p + TN));
            __m256bh v;
            v = (__m256bh)_mm256_set1_epi32(pair_at(a0 + 2 * p)); c00 = _mm256_dpbf16_ps(c00, v, b0); c01 = _mm256_dpbf16_ps(c01, v, b1);
            v = (__m256bh)_mm256_set1_epi32(pair_at(a1 + 2 * p)); c10 = _mm256_dpbf16_ps(c10, v, b0); c11 = _mm256_dpbf16_ps(c11, v, b1);
            v = (__m256bh)_mm256_set1_epi32(pair_at(a2 + 2 * p)); c20 = _mm256_dpbf16_ps(c20, v, b0); c21 = _mm256_dpbf16_ps(c21, v, b1);
            v = (__m256bh)_mm256_set1_epi32(pair_at(a3 + 2 * p)); c30 = _mm256_dpbf16_ps(c30, v, b0); c31 = _mm256_dpbf16_ps(c31, v, b1);
            v = (__m256bh)_mm256_set1_epi32(pair_at(a4 + 2 * p)); c40 = _mm256_dpbf16_ps(c40, v, b0); c41 = _mm256_dpbf16_ps(c41, v, b1);
            v = (__m256bh)_mm256_set1_epi32(pair_at(a5 + 2 * p)); c50 = _mm256_dpbf16_ps(c50, v, b0); c51 = _mm256_dpbf16_ps(c51, v, b1);
        }
    }
    __m256 acc[TM][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    __mmask8 m0 = (__mmask8)(cols >= 8 ? 0xFF : (1u << cols) - 1u);
    __mmask8 m1 = (__mmask8)(cols >= 16 ? 0xFF : cols > 8 ? (1u << (cols - 8)) - 1u : 0u);
    for (int i = 0; i < rows; i++) {
        float* ci = c[i];
        if (mode) {
            acc[i][0] = _mm256_add_ps(acc[i][0], _mm256_maskz_loadu_ps(m0, ci));
            acc[i][1] = _mm256_add_ps(acc[i][1], _mm256_maskz_loadu_ps(m1, ci + 8));
        }
        _mm256_mask_storeu_ps(ci, m0, acc[i][0]);
        _mm256_mask_storeu_ps(ci + 8, m1, acc[i][1]);
    }
}

/* The tiles of one block of C rows against every 16-column panel of packed B (as conv2d.c's run_block). */
static void run_block(int tiles, const bf16* a[][MAX_TAPS * TM], float* crow[][TM], const int* rows, int taps,
                      int64_t kp, const bf16* packed, int64_t ncols, const float* bias16) {
    for (int64_t j = 0; j < d4j_ceil_div(ncols, TN); j++) {
        int cols = (int)(ncols - j * TN < TN ? ncols - j * TN : TN);
        const bf16* bj = packed + j * taps * kp * 2 * TN;
        for (int tl = 0; tl < tiles; tl++) {
            float* c[TM];
            for (int i = 0; i < TM; i++) c[i] = crow[tl][i] + j * TN;
            tile_6x16(taps, a[tl], kp, bj, c, rows[tl], cols, bias16 ? bias16 + j * TN : NULL, 0);
        }
    }
}

/* ---- forward ------------------------------------------------------------------- */

int D4J_CPU(conv2d_bf16_forward)(float* y, const float* x, const float* w, const float* bias,
                                 const d4j_conv_shape* s) {
    const int taps = s->k * s->k;
    const int64_t cin = s->cin, cout = s->cout, cinp = (cin + 1) & ~(int64_t)1, kp = cinp / 2;
    const int64_t panels = d4j_ceil_div(cout, TN), pixels = s->n * s->h * s->w;
    const int64_t m_total = s->n * s->ho * s->wo;
    const int64_t blocks = d4j_ceil_div(m_total, TM * TILES_PER_BLOCK);
    const int64_t nw = (int64_t)taps * cin * cout;
    bf16* xb = d4j_bf16_alloc((size_t)(pixels * cinp) * sizeof(bf16));
    bf16* wb = d4j_bf16_alloc((size_t)nw * sizeof(bf16));
    bf16* packed = d4j_bf16_alloc((size_t)(panels * taps * kp * 2 * TN) * sizeof(bf16));
    bf16* zero = d4j_bf16_alloc((size_t)cinp * sizeof(bf16));
    float* bias16 = d4j_bf16_alloc((size_t)(panels * TN) * sizeof(float));
    if (!xb || !wb || !packed || !zero || !bias16) {
        free(xb); free(wb); free(packed); free(zero); free(bias16);
        return -1;
    }
    memset(zero, 0, (size_t)cinp * sizeof(bf16));
    for (int64_t c = 0; c < panels * TN; c++) bias16[c] = bias && c < cout ? bias[c] : 0.0f;
    d4j_bf16_round_rows(xb, x, pixels, cin, cinp);
    d4j_bf16_round_run(wb, w, nw);
    /* packed[j][tap][p][c][e] = bf16 w[tap][2p + e][16 j + c], zero past Cin and Cout */
    for (int64_t j = 0; j < panels; j++)
        for (int t = 0; t < taps; t++)
            for (int64_t p = 0; p < kp; p++)
                for (int c = 0; c < TN; c++)
                    for (int e = 0; e < 2; e++) {
                        int64_t ci = 2 * p + e, co = j * TN + c;
                        packed[(((j * taps + t) * kp + p) * TN + c) * 2 + e] =
                            ci < cin && co < cout ? wb[((int64_t)t * cin + ci) * cout + co] : 0;
                    }

#pragma omp parallel for schedule(dynamic, 1) if (m_total * cout * taps * cin >= 4 * D4J_CPU_PARALLEL_MIN)
    for (int64_t blk = 0; blk < blocks; blk++) {
        const bf16* a[TILES_PER_BLOCK][MAX_TAPS * TM];
        float* crow[TILES_PER_BLOCK][TM];
        int rows[TILES_PER_BLOCK];
        int tiles = 0;
        for (; tiles < TILES_PER_BLOCK; tiles++) {
            int64_t m0 = (blk * TILES_PER_BLOCK + tiles) * TM;
            if (m0 >= m_total) break;
            rows[tiles] = (int)(m_total - m0 < TM ? m_total - m0 : TM);
            for (int i = 0; i < TM; i++) {
                int64_t m = m0 + (i < rows[tiles] ? i : 0); /* padded rows repeat row 0; never stored */
                int64_t n = m / (s->ho * s->wo), r = m % (s->ho * s->wo);
                int64_t ho = r / s->wo, wo = r % s->wo;
                crow[tiles][i] = y + m * cout;
                for (int kh = 0; kh < s->k; kh++)
                    for (int kw = 0; kw < s->k; kw++) {
                        int64_t hi = ho * s->stride - s->pad + kh, wi = wo * s->stride - s->pad + kw;
                        int inside = hi >= 0 && hi < s->h && wi >= 0 && wi < s->w;
                        a[tiles][(kh * s->k + kw) * TM + i] = inside ? xb + ((n * s->h + hi) * s->w + wi) * cinp : zero;
                    }
            }
        }
        run_block(tiles, a, crow, rows, taps, kp, packed, cout, bias16);
    }
    free(xb); free(wb); free(packed); free(zero); free(bias16);
    return 0;
}

/* ---- backward data --------------------------------------------------------------- */

int D4J_CPU(conv2d_bf16_backward_data)(float* dx, const float* dy, const float* w, const d4j_conv_shape* s) {
    const int k = s->k, st = s->stride;
    const int64_t cin = s->cin, cout = s->cout, coutp = (cout + 1) & ~(int64_t)1, kp = coutp / 2;
    const int64_t panels = d4j_ceil_div(cin, TN), opixels = s->n * s->ho * s->wo;
    const int64_t nw = (int64_t)k * k * cin * cout;
    bf16* dyb = d4j_bf16_alloc((size_t)(opixels * coutp) * sizeof(bf16));
    bf16* wb = d4j_bf16_alloc((size_t)nw * sizeof(bf16));
    bf16* packed = d4j_bf16_alloc((size_t)(panels * k * k * kp * 2 * TN) * sizeof(bf16));
    bf16* zero = d4j_bf16_alloc((size_t)coutp * sizeof(bf16));
    if (!dyb || !wb || !packed || !zero) {
        free(dyb); free(wb); free(packed); free(zero);
        return -1;
    }
    memset(zero, 0, (size_t)coutp * sizeof(bf16));
    d4j_bf16_round_rows(dyb, dy, opixels, cout, coutp);
    d4j_bf16_round_run(wb, w, nw);

    /* one tile-friendly GEMM per residue class of dx pixels (d4j_conv_residue_class, as conv2d.c) */
    for (int ph = 0; ph < st; ph++)
        for (int pw = 0; pw < st; pw++) {
            const d4j_conv_residue cls = d4j_conv_residue_class(s, ph, pw);
            const int taps = cls.taps, *tkh = cls.tkh, *tkw = cls.tkw;
            const int64_t nh = cls.nh, nwq = cls.nw;
            int64_t m_total = s->n * nh * nwq;
            if (m_total == 0) continue;
            /* packed[j][t][p][c][e] = bf16 w[tap t][16 j + c][2p + e], zero past Cin and Cout */
            for (int64_t j = 0; j < panels; j++)
                for (int t = 0; t < taps; t++)
                    for (int64_t p = 0; p < kp; p++)
                        for (int c = 0; c < TN; c++)
                            for (int e = 0; e < 2; e++) {
                                int64_t co = 2 * p + e, ci = j * TN + c;
                                packed[(((j * taps + t) * kp + p) * TN + c) * 2 + e] =
                                    ci < cin && co < cout
                                        ? wb[((int64_t)(tkh[t] * k + tkw[t]) * cin + ci) * cout + co]
                                        : 0;
                            }
            int64_t blocks = d4j_ceil_div(m_total, TM * TILES_PER_BLOCK);
#pragma omp parallel for schedule(dynamic, 1) if (m_total * cout * cin * (taps + 1) >= 4 * D4J_CPU_PARALLEL_MIN)
            for (int64_t blk = 0; blk < blocks; blk++) {
                const bf16* a[TILES_PER_BLOCK][MAX_TAPS * TM];
                float* crow[TILES_PER_BLOCK][TM];
                int rows[TILES_PER_BLOCK];
                int tiles = 0;
                for (; tiles < TILES_PER_BLOCK; tiles++) {
                    int64_t m0 = (blk * TILES_PER_BLOCK + tiles) * TM;
                    if (m0 >= m_total) break;
                    rows[tiles] = (int)(m_total - m0 < TM ? m_total - m0 : TM);
                    for (int i = 0; i < TM; i++) {
                        int64_t m = m0 + (i < rows[tiles] ? i : 0);
                        int64_t n = m / (nh * nwq), r = m % (nh * nwq);
                        int64_t h = ph + (r / nwq) * st, wq = pw + (r % nwq) * st;
                        crow[tiles][i] = dx + ((n * s->h + h) * s->w + wq) * cin;
                        for (int t = 0; t < taps; t++) {
                            int64_t dh = h + s->pad - tkh[t], dw = wq + s->pad - tkw[t]; /* multiples of st */
                            int64_t yo = dh / st, xo = dw / st;
                            int inside = dh >= 0 && dw >= 0 && yo < s->ho && xo < s->wo;
                            a[tiles][t * TM + i] = inside ? dyb + ((n * s->ho + yo) * s->wo + xo) * coutp : zero;
                        }
                    }
                }
                run_block(tiles, a, crow, rows, taps, kp, packed, cin, NULL);
            }
        }
    free(dyb); free(wb); free(packed); free(zero);
    return 0;
}

/* ---- backward weights -------------------------------------------------------------- */

/* Output pixels per chunk, taken in CHUNK/2 pairs: a chunk's pair buffers (dy pairs for all taps,
 * x pairs for one tap) stay in L2 while every tile of dw passes over them. Every tap pairs the same
 * pixels, so the dy pairs are built once per chunk; the price is that a tap's pixels in the padding
 * enter as zero rows and are multiplied anyway (for 3×3 pad 1: 18% of the products on 7×7 maps,
 * 9% on 14×14, 5% on 28×28), where conv2d.c skips them. */
#define CHUNK 256

/* out[q] = a[q] | b[q] << 16 for q < n: two bf16 rows interleaved into pairs (b may be a zero row). */
static inline void interleave(uint32_t* restrict out, const bf16* restrict a, const bf16* restrict b, int64_t n) {
    for (int64_t q = 0; q < n; q++) out[q] = (uint32_t)a[q] | (uint32_t)b[q] << 16;
}

/*
 * acc rows ci..ci+rows, columns co..co+cols of dw_tap (+)= Σ_p xp[p][ci + i] · dp[p][co + c]
 * xp: npairs × cin pairs of x (row stride cin), dp: npairs × coutn pairs of dy (row stride coutn,
 * zero past Cout).
 */
static void wgrad_tile(float* dw_tap, int64_t cout, const uint32_t* xp, int64_t cin, const uint32_t* dp,
                       int64_t coutn, int64_t npairs, int64_t ci, int rows, int64_t co, int cols) {
    __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_ps();
    /* rows past `rows` repeat the last real row: computed, never stored */
    const int64_t r1 = rows > 1 ? 1 : 0, r2 = rows > 2 ? 2 : rows - 1, r3 = rows > 3 ? 3 : rows - 1,
                  r4 = rows > 4 ? 4 : rows - 1, r5 = rows > 5 ? 5 : rows - 1;
    const uint32_t* xq = xp + ci;
    const uint32_t* dq = dp + co;
    for (int64_t p = 0; p < npairs; p++, xq += cin, dq += coutn) {
        __m256bh b0 = (__m256bh)_mm256_loadu_si256((const __m256i*)dq);
        __m256bh b1 = (__m256bh)_mm256_loadu_si256((const __m256i*)(dq + 8));
        __m256bh v;
        v = (__m256bh)_mm256_set1_epi32((int32_t)xq[0]);  c00 = _mm256_dpbf16_ps(c00, v, b0); c01 = _mm256_dpbf16_ps(c01, v, b1);
        v = (__m256bh)_mm256_set1_epi32((int32_t)xq[r1]); c10 = _mm256_dpbf16_ps(c10, v, b0); c11 = _mm256_dpbf16_ps(c11, v, b1);
        v = (__m256bh)_mm256_set1_epi32((int32_t)xq[r2]); c20 = _mm256_dpbf16_ps(c20, v, b0); c21 = _mm256_dpbf16_ps(c21, v, b1);
        v = (__m256bh)_mm256_set1_epi32((int32_t)xq[r3]); c30 = _mm256_dpbf16_ps(c30, v, b0); c31 = _mm256_dpbf16_ps(c31, v, b1);
        v = (__m256bh)_mm256_set1_epi32((int32_t)xq[r4]); c40 = _mm256_dpbf16_ps(c40, v, b0); c41 = _mm256_dpbf16_ps(c41, v, b1);
        v = (__m256bh)_mm256_set1_epi32((int32_t)xq[r5]); c50 = _mm256_dpbf16_ps(c50, v, b0); c51 = _mm256_dpbf16_ps(c51, v, b1);
    }
    __m256 acc[TM][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    __mmask8 m0 = (__mmask8)(cols >= 8 ? 0xFF : (1u << cols) - 1u);
    __mmask8 m1 = (__mmask8)(cols >= 16 ? 0xFF : cols > 8 ? (1u << (cols - 8)) - 1u : 0u);
    for (int i = 0; i < rows; i++) {
        float* d = dw_tap + (ci + i) * cout + co;
        _mm256_mask_storeu_ps(d, m0, _mm256_add_ps(acc[i][0], _mm256_maskz_loadu_ps(m0, d)));
        _mm256_mask_storeu_ps(d + 8, m1, _mm256_add_ps(acc[i][1], _mm256_maskz_loadu_ps(m1, d + 8)));
    }
}

int D4J_CPU(conv2d_bf16_backward_weights)(float* dw, float* dbias, const float* dy, const float* x,
                                          const d4j_conv_shape* s) {
    const int k = s->k, taps = k * k;
    const int64_t cin = s->cin, cout = s->cout, coutn = d4j_ceil_div(cout, TN) * TN;
    const int64_t wsize = (int64_t)taps * cin * cout;
    const int64_t pixels = s->n * s->h * s->w, m_total = s->n * s->ho * s->wo;
    const int64_t chunks = d4j_ceil_div(m_total, CHUNK);
    const int threads = d4j_split_threads(m_total * wsize, chunks);
    /* x and dy rounded once (rows of cin / cout bf16, no padding: pairs are formed across pixels) */
    bf16* xb = d4j_bf16_alloc((size_t)(pixels * cin) * sizeof(bf16));
    bf16* dyb = d4j_bf16_alloc((size_t)(m_total * cout) * sizeof(bf16));
    bf16* zero = d4j_bf16_alloc((size_t)(cin > coutn ? cin : coutn) * sizeof(bf16));
    /* per thread: partial dw, partial dbias, CHUNK/2 × coutn dy pairs, CHUNK/2 × cin x pairs */
    const int64_t per = wsize + cout + (CHUNK / 2) * (coutn + cin);
    float* partial = d4j_bf16_alloc((size_t)(threads * per) * sizeof(float));
    if (!xb || !dyb || !zero || !partial) {
        free(xb); free(dyb); free(zero); free(partial);
        return -1;
    }
    memset(zero, 0, (size_t)(cin > coutn ? cin : coutn) * sizeof(bf16));
    d4j_bf16_round_rows(xb, x, pixels, cin, cin);
    d4j_bf16_round_rows(dyb, dy, m_total, cout, cout);
    /* every partial zeroed here, so one of a thread OpenMP never started adds nothing */
    memset(partial, 0, (size_t)(threads * per) * sizeof(float));

#pragma omp parallel num_threads(threads) if (threads > 1)
    {
        int64_t ch0, ch1;
        float* pw = partial + d4j_split_range(chunks, &ch0, &ch1) * per;
        float* pb = pw + wsize;
        uint32_t* dp = (uint32_t*)(pb + cout);
        uint32_t* xp = dp + (CHUNK / 2) * coutn;
        for (int64_t m = ch0 * CHUNK; m < (ch1 * CHUNK < m_total ? ch1 * CHUNK : m_total); m++) /* bias: fp32 Σ dy */
            for (int64_t co = 0; co < cout; co++) pb[co] += dy[m * cout + co];
        for (int64_t ch = ch0; ch < ch1; ch++) {
            const int64_t m0 = ch * CHUNK, mcount = m_total - m0 < CHUNK ? m_total - m0 : CHUNK;
            const int64_t npairs = (mcount + 1) / 2;
            /* dy pairs: dp[p][co] = (dy[m0 + 2p][co], dy[m0 + 2p + 1][co]); a missing odd pixel is zero,
             * which zeroes its products whatever x pairs with it */
            for (int64_t p = 0; p < npairs; p++) {
                const bf16* d0 = dyb + (m0 + 2 * p) * cout;
                const bf16* d1 = 2 * p + 1 < mcount ? d0 + cout : zero;
                interleave(dp + p * coutn, d0, d1, cout);
                interleave(dp + p * coutn + cout, zero, zero, coutn - cout);
            }
            for (int kh = 0; kh < k; kh++)
                for (int kw = 0; kw < k; kw++) {
                    /* x pairs for this tap: pixel(m, tap) or a zero row where the tap falls in the padding */
                    for (int64_t p = 0; p < npairs; p++) {
                        const bf16* src[2];
                        for (int e = 0; e < 2; e++) {
                            int64_t q = 2 * p + e;
                            src[e] = zero;
                            if (q >= mcount) continue;
                            int64_t m = m0 + q, n = m / (s->ho * s->wo), r = m % (s->ho * s->wo);
                            int64_t hi = (r / s->wo) * s->stride - s->pad + kh;
                            int64_t wi = (r % s->wo) * s->stride - s->pad + kw;
                            if (hi >= 0 && hi < s->h && wi >= 0 && wi < s->w)
                                src[e] = xb + ((n * s->h + hi) * s->w + wi) * cin;
                        }
                        interleave(xp + p * cin, src[0], src[1], cin);
                    }
                    float* dw_tap = pw + (int64_t)(kh * k + kw) * cin * cout;
                    for (int64_t co = 0; co < cout; co += TN) {
                        int cols = (int)(cout - co < TN ? cout - co : TN);
                        for (int64_t ci = 0; ci < cin; ci += TM)
                            wgrad_tile(dw_tap, cout, xp, cin, dp, coutn, npairs, ci,
                                       (int)(cin - ci < TM ? cin - ci : TM), co, cols);
                    }
                }
        }
    }
    for (int t = 0; t < threads; t++) {
        const float* pwt = partial + t * per;
        for (int64_t i = 0; i < wsize; i++) dw[i] += pwt[i];
        if (dbias)
            for (int64_t co = 0; co < cout; co++) dbias[co] += pwt[wsize + co];
    }
    free(xb); free(dyb); free(zero); free(partial);
    return 0;
}

#endif /* D4J_BF16_KERNELS */
