/*
 * conv2d.c — 2-D convolution on the CPU as implicit GEMM (no im2col):
 *   forward          y[m, co]   = Σ_tap Σ_ci x[pixel(m, tap), ci] · w[tap, ci, co] + b[co]
 *   backward data    dx[m, ci]  = Σ_tap Σ_co dy[pixel'(m, tap), co] · w[tap, ci, co]
 *   backward weights dw[tap, ci, co] += Σ_m x[pixel(m, tap), ci] · dy[m, co]
 * Forward and backward data run the 6×16 register tile of gemm_tile.h with one
 * A pointer per (row, tap); backward data groups dx pixels by their position
 * modulo the stride so every row of a tile uses the same taps (for stride 1,
 * one group: a full-correlation with the flipped kernel). Backward weights
 * accumulates per-thread partial gradients over disjoint output rows and sums
 * them at the end. Parallel with OpenMP over tiles or rows.
 */
#include <stdlib.h>
#include <string.h>

#include "../core/conv2d.h"
#include "gemm_tile.h"
#include "thread_split.h"
#include "wgrad_tile.h"

#define TILES_PER_BLOCK 8
#define MAX_TAPS D4J_CONV_MAX_TAPS

static float* alloc_floats(size_t n) {
    void* p = NULL;
    if (posix_memalign(&p, 64, (n ? n : 1) * sizeof(float)) != 0) return NULL;
    return p;
}

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* Prefetches the kt floats at each of a tile's taps × 6 A pointers. A large layer's A streams in
 * from beyond L2 (x of a batch is tens of MB), one broadcast at a time, and the tile's loads wait
 * on memory unless a tile before asked for them (128×28×28, 1×1 96→32 forward: 3.9 -> 3.0 ms). */
static inline void prefetch_rows(const float* const* a, int taps, int64_t kt) {
    for (int i = 0; i < taps * D4J_TILE_M; i++)
        for (int64_t b = 0; b < kt * (int64_t)sizeof(float); b += 64) __builtin_prefetch((const char*)a[i] + b, 0, 3);
}

/* C tiles of one block of output rows against every 16-column panel of packed B:
 * tile tl has A pointers a[tl] (taps × 6), output rows crow[tl], rows[tl] real rows. */
static void run_block(int tiles, const float* a[][MAX_TAPS * D4J_TILE_M], float* crow[][D4J_TILE_M], const int* rows,
                      int taps, int64_t kt, const float* packed, int64_t ncols, const float* bias16) {
    int64_t j = 0;
    for (; j + 2 <= ceil_div(ncols, 16); j += 2) { /* two panels per tile */
        int cols2 = (int)(ncols - (j + 1) * 16 < 16 ? ncols - (j + 1) * 16 : 16);
        const float* bj = packed + j * taps * kt * 16;
        for (int tl = 0; tl < tiles; tl++) {
            float* c[D4J_TILE_M];
            for (int i = 0; i < D4J_TILE_M; i++) c[i] = crow[tl][i] + j * 16;
            if (j == 0 && tl == 0 && tiles > 1) prefetch_rows(a[1], taps, kt);
            if (j == 0 && tl + 2 < tiles) prefetch_rows(a[tl + 2], taps, kt); /* two tiles ahead: K can be 32 */
            d4j_tile_6x32(taps, a[tl], kt, bj, bj + taps * kt * 16, c, rows[tl], cols2, bias16 ? bias16 + j * 16 : NULL, 0);
        }
    }
    for (; j < ceil_div(ncols, 16); j++) { /* an odd last panel */
        int cols = (int)(ncols - j * 16 < 16 ? ncols - j * 16 : 16);
        const float* bj = packed + j * taps * kt * 16;
        for (int tl = 0; tl < tiles; tl++) {
            float* c[D4J_TILE_M];
            for (int i = 0; i < D4J_TILE_M; i++) c[i] = crow[tl][i] + j * 16;
            d4j_tile_6x16(taps, a[tl], kt, bj, c, rows[tl], cols, bias16 ? bias16 + j * 16 : NULL, 0);
        }
    }
}

/* ---- forward ------------------------------------------------------------------- */

/* packed[j][tap][ci][16] = w[tap][ci][16 j + c], zero past Cout */
static void pack_forward(float* packed, const float* w, int taps, int64_t cin, int64_t cout) {
    int64_t panels = ceil_div(cout, 16);
    for (int64_t j = 0; j < panels; j++)
        for (int t = 0; t < taps; t++)
            for (int64_t ci = 0; ci < cin; ci++) {
                float* dst = packed + ((j * taps + t) * cin + ci) * 16;
                const float* src = w + ((int64_t)t * cin + ci) * cout + j * 16;
                for (int c = 0; c < 16; c++) dst[c] = j * 16 + c < cout ? src[c] : 0.0f;
            }
}

int D4J_CPU(conv2d_forward)(float* y, const float* x, const float* w, const float* bias, const d4j_conv_shape* s) {
    const int taps = s->k * s->k;
    const int64_t cin = s->cin, cout = s->cout, panels = ceil_div(cout, 16);
    const int64_t m_total = s->n * s->ho * s->wo;
    const int64_t blocks = ceil_div(m_total, D4J_TILE_M * TILES_PER_BLOCK);
    float* packed = alloc_floats((size_t)(panels * taps * cin * 16));
    float* zero = alloc_floats((size_t)cin);
    float* bias16 = alloc_floats((size_t)(panels * 16));
    if (!packed || !zero || !bias16) {
        free(packed); free(zero); free(bias16);
        return -1;
    }
    memset(zero, 0, (size_t)cin * sizeof(float));
    for (int64_t c = 0; c < panels * 16; c++) bias16[c] = bias && c < cout ? bias[c] : 0.0f;
    pack_forward(packed, w, taps, cin, cout);

#pragma omp parallel for schedule(dynamic, 1) if (m_total * cout * taps * cin >= 4 * D4J_CPU_PARALLEL_MIN)
    for (int64_t blk = 0; blk < blocks; blk++) {
        const float* a[TILES_PER_BLOCK][MAX_TAPS * D4J_TILE_M];
        float* crow[TILES_PER_BLOCK][D4J_TILE_M];
        int rows[TILES_PER_BLOCK];
        int tiles = 0;
        for (; tiles < TILES_PER_BLOCK; tiles++) {
            int64_t m0 = (blk * TILES_PER_BLOCK + tiles) * D4J_TILE_M;
            if (m0 >= m_total) break;
            rows[tiles] = (int)(m_total - m0 < D4J_TILE_M ? m_total - m0 : D4J_TILE_M);
            for (int i = 0; i < D4J_TILE_M; i++) {
                int64_t m = m0 + (i < rows[tiles] ? i : 0); /* padded rows repeat row 0; never stored */
                int64_t n = m / (s->ho * s->wo), r = m % (s->ho * s->wo);
                int64_t ho = r / s->wo, wo = r % s->wo;
                crow[tiles][i] = y + m * cout;
                for (int kh = 0; kh < s->k; kh++)
                    for (int kw = 0; kw < s->k; kw++) {
                        int64_t hi = ho * s->stride - s->pad + kh, wi = wo * s->stride - s->pad + kw;
                        int inside = hi >= 0 && hi < s->h && wi >= 0 && wi < s->w;
                        a[tiles][(kh * s->k + kw) * D4J_TILE_M + i] =
                            inside ? x + ((n * s->h + hi) * s->w + wi) * cin : zero;
                    }
            }
        }
        run_block(tiles, a, crow, rows, taps, cin, packed, cout, bias16);
    }
    free(packed);
    free(zero);
    free(bias16);
    return 0;
}

/* ---- backward data --------------------------------------------------------------- */

int D4J_CPU(conv2d_backward_data)(float* dx, const float* dy, const float* w, const d4j_conv_shape* s) {
    const int k = s->k, st = s->stride;
    const int64_t cin = s->cin, cout = s->cout, panels = ceil_div(cin, 16);
    float* packed = alloc_floats((size_t)(panels * k * k * cout * 16));
    float* zero = alloc_floats((size_t)cout);
    if (!packed || !zero) {
        free(packed); free(zero);
        return -1;
    }
    memset(zero, 0, (size_t)cout * sizeof(float));

    /* one tile-friendly GEMM per residue class of dx pixels (d4j_conv_residue_class) */
    for (int ph = 0; ph < st; ph++)
        for (int pw = 0; pw < st; pw++) {
            const d4j_conv_residue cls = d4j_conv_residue_class(s, ph, pw);
            const int taps = cls.taps, *tkh = cls.tkh, *tkw = cls.tkw;
            const int64_t nh = cls.nh, nw = cls.nw;
            int64_t m_total = s->n * nh * nw;
            if (m_total == 0) continue;
            /* packed[j][t][co][16] = w[tap t][16 j + c][co] */
            for (int64_t j = 0; j < panels; j++)
                for (int t = 0; t < taps; t++)
                    for (int64_t co = 0; co < cout; co++) {
                        float* dst = packed + ((j * taps + t) * cout + co) * 16;
                        const float* src = w + ((int64_t)(tkh[t] * k + tkw[t]) * cin + j * 16) * cout + co;
                        for (int c = 0; c < 16; c++) dst[c] = j * 16 + c < cin ? src[(int64_t)c * cout] : 0.0f;
                    }
            int64_t blocks = ceil_div(m_total, D4J_TILE_M * TILES_PER_BLOCK);
#pragma omp parallel for schedule(dynamic, 1) if (m_total * cout * cin * (taps + 1) >= 4 * D4J_CPU_PARALLEL_MIN)
            for (int64_t blk = 0; blk < blocks; blk++) {
                const float* a[TILES_PER_BLOCK][MAX_TAPS * D4J_TILE_M];
                float* crow[TILES_PER_BLOCK][D4J_TILE_M];
                int rows[TILES_PER_BLOCK];
                int tiles = 0;
                for (; tiles < TILES_PER_BLOCK; tiles++) {
                    int64_t m0 = (blk * TILES_PER_BLOCK + tiles) * D4J_TILE_M;
                    if (m0 >= m_total) break;
                    rows[tiles] = (int)(m_total - m0 < D4J_TILE_M ? m_total - m0 : D4J_TILE_M);
                    for (int i = 0; i < D4J_TILE_M; i++) {
                        int64_t m = m0 + (i < rows[tiles] ? i : 0);
                        int64_t n = m / (nh * nw), r = m % (nh * nw);
                        int64_t h = ph + (r / nw) * st, wq = pw + (r % nw) * st;
                        crow[tiles][i] = dx + ((n * s->h + h) * s->w + wq) * cin;
                        for (int t = 0; t < taps; t++) {
                            int64_t dh = h + s->pad - tkh[t], dw = wq + s->pad - tkw[t]; /* multiples of st */
                            int64_t yo = dh / st, xo = dw / st;
                            int inside = dh >= 0 && dw >= 0 && yo < s->ho && xo < s->wo;
                            a[tiles][t * D4J_TILE_M + i] = inside ? dy + ((n * s->ho + yo) * s->wo + xo) * cout : zero;
                        }
                    }
                }
                run_block(tiles, a, crow, rows, taps, cout, packed, cin, NULL);
            }
        }
    free(packed);
    free(zero);
    return 0;
}

/* ---- backward weights -------------------------------------------------------------- */

/* x and dy bytes of a pointwise weight gradient's run of pixels: well inside a 48 KiB L1d. */
#define PW_RUN_BYTES (32 * 1024)

/* Output rows per chunk: their x and dy rows stay in L2 while every tile of dw passes over them. */
#define WGRAD_CHUNK_ROWS 8

int D4J_CPU(conv2d_backward_weights)(float* dw, float* dbias, const float* dy, const float* x,
                                      const d4j_conv_shape* s) {
    const int k = s->k, taps = k * k;
    const int64_t cin = s->cin, cout = s->cout;
    const int64_t wsize = (int64_t)taps * cin * cout;
    const int64_t rows_total = s->n * s->ho; /* output rows (n, ho) */
    const int threads = d4j_split_threads(rows_total * s->wo * wsize, rows_total);
    float* partial = alloc_floats((size_t)(threads * (wsize + cout)));
    if (!partial) return -1;
    memset(partial, 0, (size_t)(threads * (wsize + cout)) * sizeof(float));

#pragma omp parallel num_threads(threads) if (threads > 1)
    {
        int64_t r0, r1;
        float* pw = partial + d4j_split_range(rows_total, &r0, &r1) * (wsize + cout);
        float* pb = pw + wsize;
        for (int64_t r = r0; r < r1; r++) { /* bias: Σ over this thread's pixels */
            const float* dyrow = dy + r * s->wo * cout;
            for (int64_t q = 0; q < s->wo; q++)
                for (int64_t co = 0; co < cout; co++) pb[co] += dyrow[q * cout + co];
        }
        if (k == 1 && s->stride == 1 && s->pad == 0) {
            /* pointwise (1×1, and linear layers): the thread's pixels are contiguous; take
             * them in runs whose x and dy (PW_RUN_BYTES) stay in L1 while every tile passes over them */
            int64_t chunk = PW_RUN_BYTES / ((cin + cout) * (int64_t)sizeof(float));
            if (chunk < 16) chunk = 16;
            for (int64_t p0 = r0 * s->wo; p0 < r1 * s->wo; p0 += chunk) {
                int64_t p1 = p0 + chunk < r1 * s->wo ? p0 + chunk : r1 * s->wo;
                /* the next run's x and dy into L2 while this one's tiles pass over it (every tile
                 * pass reads one line per pixel: the first, from memory, would wait on each) */
                int64_t p2 = p1 + chunk < r1 * s->wo ? p1 + chunk : r1 * s->wo;
                for (int64_t b = p1 * cin * 4; b < p2 * cin * 4; b += 64) __builtin_prefetch((const char*)x + b, 0, 2);
                for (int64_t b = p1 * cout * 4; b < p2 * cout * 4; b += 64) __builtin_prefetch((const char*)dy + b, 0, 2);
                wgrad_run run = {x + p0 * cin, dy + p0 * cout, p1 - p0};
                wgrad_runs(pw, &run, 1, cin, cout, cin, cout);
            }
        } else {
            for (int64_t c0 = r0; c0 < r1; c0 += WGRAD_CHUNK_ROWS) {
                int64_t c1 = c0 + WGRAD_CHUNK_ROWS < r1 ? c0 + WGRAD_CHUNK_ROWS : r1;
                for (int kh = 0; kh < k; kh++)
                    for (int kw = 0; kw < k; kw++) {
                        /* output columns wo with 0 <= wo*stride - pad + kw < W */
                        if (s->w - 1 + s->pad - kw < 0) continue;
                        int64_t lo = s->pad - kw > 0 ? ceil_div(s->pad - kw, s->stride) : 0;
                        int64_t hi_wo = (s->w - 1 + s->pad - kw) / s->stride + 1;
                        if (hi_wo > s->wo) hi_wo = s->wo;
                        if (lo >= hi_wo) continue;
                        wgrad_run runs[WGRAD_CHUNK_ROWS];
                        int nruns = 0;
                        for (int64_t r = c0; r < c1; r++) {
                            int64_t n = r / s->ho, ho = r % s->ho;
                            int64_t hi = ho * s->stride - s->pad + kh;
                            if (hi < 0 || hi >= s->h) continue;
                            runs[nruns].x = x + ((n * s->h + hi) * s->w + (lo * s->stride - s->pad + kw)) * cin;
                            runs[nruns].dy = dy + (r * s->wo + lo) * cout;
                            runs[nruns].count = hi_wo - lo;
                            nruns++;
                        }
                        wgrad_runs(pw + (int64_t)(kh * k + kw) * cin * cout, runs, nruns, cin, cout,
                                   s->stride * cin, cout);
                    }
            }
        }
    }
    for (int t = 0; t < threads; t++) {
        const float* pw = partial + t * (wsize + cout);
        for (int64_t i = 0; i < wsize; i++) dw[i] += pw[i];
        if (dbias)
            for (int64_t co = 0; co < cout; co++) dbias[co] += pw[wsize + co];
    }
    free(partial);
    return 0;
}
