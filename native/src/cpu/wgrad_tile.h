/*
 * wgrad_tile.h — the register-blocked weight-gradient micro-kernel (CPU):
 * C (Cin × Cout) += Σ_runs Σ_q x_q ⊗ dy_q, an outer-product accumulation over
 * pixels held in a 6×16 tile of twelve 8-float accumulators. Used by the
 * direct convolution's backward weights (one run per output row and tap) and by
 * the Winograd weight gradient (one run per transformed position).
 */
#ifndef D4J_CPU_WGRAD_TILE_H
#define D4J_CPU_WGRAD_TILE_H

#include "gemm_tile.h"

/* A run of pixels of one output row that a tap sees inside the input: x at
 * x + q*xs, dy at dy + q*ds, for q < count. */
typedef struct { const float* x; const float* dy; int64_t count; } wgrad_run;

#ifdef __AVX512F__
/*
 * The AVX-512 build's tile: 12 input channels × 16 output channels, each row
 * one 16-float zmm accumulator, so a pixel costs one dy load and twelve
 * broadcast FMAs: twelve independent chains cover the latency × the two 512-bit
 * FMA ports of Intel cores, where a zmm FMA does twice a ymm FMA's work per
 * cycle (on Zen 4 it costs two ymm FMAs: no loss). Columns past `cols` are
 * masked off; rows past `rows` are neither read nor written.
 */
static inline void wgrad_tile12(float* dw_tap, int rows, int cols, const wgrad_run* runs, int nruns, int64_t ci,
                                int64_t co, int64_t cout, int64_t xs, int64_t ds) {
    const __mmask16 m = (__mmask16)((1u << cols) - 1u);
    __m512 c[12];
    if (rows == 12) {
        __m512 c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11;
        c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = c8 = c9 = c10 = c11 = _mm512_setzero_ps();
        for (int r = 0; r < nruns; r++) {
            const float* xq = runs[r].x + ci;
            const float* dq = runs[r].dy + co;
            for (int64_t q = 0; q < runs[r].count; q++, xq += xs, dq += ds) {
                __m512 b = _mm512_maskz_loadu_ps(m, dq);
                c0 = _mm512_fmadd_ps(_mm512_set1_ps(xq[0]), b, c0);
                c1 = _mm512_fmadd_ps(_mm512_set1_ps(xq[1]), b, c1);
                c2 = _mm512_fmadd_ps(_mm512_set1_ps(xq[2]), b, c2);
                c3 = _mm512_fmadd_ps(_mm512_set1_ps(xq[3]), b, c3);
                c4 = _mm512_fmadd_ps(_mm512_set1_ps(xq[4]), b, c4);
                c5 = _mm512_fmadd_ps(_mm512_set1_ps(xq[5]), b, c5);
                c6 = _mm512_fmadd_ps(_mm512_set1_ps(xq[6]), b, c6);
                c7 = _mm512_fmadd_ps(_mm512_set1_ps(xq[7]), b, c7);
                c8 = _mm512_fmadd_ps(_mm512_set1_ps(xq[8]), b, c8);
                c9 = _mm512_fmadd_ps(_mm512_set1_ps(xq[9]), b, c9);
                c10 = _mm512_fmadd_ps(_mm512_set1_ps(xq[10]), b, c10);
                c11 = _mm512_fmadd_ps(_mm512_set1_ps(xq[11]), b, c11);
            }
        }
        c[0] = c0; c[1] = c1; c[2] = c2; c[3] = c3; c[4] = c4; c[5] = c5;
        c[6] = c6; c[7] = c7; c[8] = c8; c[9] = c9; c[10] = c10; c[11] = c11;
    } else { /* edge tile */
        for (int i = 0; i < 12; i++) c[i] = _mm512_setzero_ps();
        for (int r = 0; r < nruns; r++) {
            const float* xq = runs[r].x + ci;
            const float* dq = runs[r].dy + co;
            for (int64_t q = 0; q < runs[r].count; q++, xq += xs, dq += ds) {
                __m512 b = _mm512_maskz_loadu_ps(m, dq);
                for (int i = 0; i < rows; i++) c[i] = _mm512_fmadd_ps(_mm512_set1_ps(xq[i]), b, c[i]);
            }
        }
    }
    for (int i = 0; i < rows; i++) {
        float* a = dw_tap + (ci + i) * cout + co;
        _mm512_mask_storeu_ps(a, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, a), c[i]));
    }
}

/*
 * 8 input channels × 32 output channels, each row two zmm accumulators (two adjacent 16-column
 * panels): a pixel costs two dy loads and eight broadcasts for sixteen FMAs, where the 12×16
 * tile needs thirteen loads for twelve. cols2 (1..16) real columns in the second panel.
 */
static inline void wgrad_tile8x32(float* dw_tap, int cols2, const wgrad_run* runs, int nruns, int64_t ci, int64_t co,
                                  int64_t cout, int64_t xs, int64_t ds) {
    const __mmask16 m2 = (__mmask16)((1u << cols2) - 1u);
    __m512 l0, l1, l2, l3, l4, l5, l6, l7, h0, h1, h2, h3, h4, h5, h6, h7;
    l0 = l1 = l2 = l3 = l4 = l5 = l6 = l7 = h0 = h1 = h2 = h3 = h4 = h5 = h6 = h7 = _mm512_setzero_ps();
    for (int r = 0; r < nruns; r++) {
        const float* xq = runs[r].x + ci;
        const float* dq = runs[r].dy + co;
        for (int64_t q = 0; q < runs[r].count; q++, xq += xs, dq += ds) {
            __m512 lo = _mm512_loadu_ps(dq), hi = _mm512_maskz_loadu_ps(m2, dq + 16), v;
            v = _mm512_set1_ps(xq[0]); l0 = _mm512_fmadd_ps(v, lo, l0); h0 = _mm512_fmadd_ps(v, hi, h0);
            v = _mm512_set1_ps(xq[1]); l1 = _mm512_fmadd_ps(v, lo, l1); h1 = _mm512_fmadd_ps(v, hi, h1);
            v = _mm512_set1_ps(xq[2]); l2 = _mm512_fmadd_ps(v, lo, l2); h2 = _mm512_fmadd_ps(v, hi, h2);
            v = _mm512_set1_ps(xq[3]); l3 = _mm512_fmadd_ps(v, lo, l3); h3 = _mm512_fmadd_ps(v, hi, h3);
            v = _mm512_set1_ps(xq[4]); l4 = _mm512_fmadd_ps(v, lo, l4); h4 = _mm512_fmadd_ps(v, hi, h4);
            v = _mm512_set1_ps(xq[5]); l5 = _mm512_fmadd_ps(v, lo, l5); h5 = _mm512_fmadd_ps(v, hi, h5);
            v = _mm512_set1_ps(xq[6]); l6 = _mm512_fmadd_ps(v, lo, l6); h6 = _mm512_fmadd_ps(v, hi, h6);
            v = _mm512_set1_ps(xq[7]); l7 = _mm512_fmadd_ps(v, lo, l7); h7 = _mm512_fmadd_ps(v, hi, h7);
        }
    }
    __m512 lo[8] = {l0, l1, l2, l3, l4, l5, l6, l7}, hi[8] = {h0, h1, h2, h3, h4, h5, h6, h7};
    for (int i = 0; i < 8; i++) {
        float* a = dw_tap + (ci + i) * cout + co;
        _mm512_storeu_ps(a, _mm512_add_ps(_mm512_loadu_ps(a), lo[i]));
        _mm512_mask_storeu_ps(a + 16, m2, _mm512_add_ps(_mm512_maskz_loadu_ps(m2, a + 16), hi[i]));
    }
}

/* dw_tap (Cin × Cout) += the runs' contribution, tile by tile: 8×32 tiles where two panels and 8
 * rows remain, 12×16 tiles for the rest. */
static inline void wgrad_runs(float* dw_tap, const wgrad_run* runs, int nruns, int64_t cin, int64_t cout, int64_t xs,
                              int64_t ds) {
    if (nruns == 0) return;
    int64_t co = 0;
    for (; co + 16 < cout; co += 32) {
        int cols2 = (int)(cout - co - 16 < 16 ? cout - co - 16 : 16);
        int64_t ci = 0;
        for (; ci + 8 <= cin; ci += 8) wgrad_tile8x32(dw_tap, cols2, runs, nruns, ci, co, cout, xs, ds);
        if (ci < cin) {
            wgrad_tile12(dw_tap, (int)(cin - ci), 16, runs, nruns, ci, co, cout, xs, ds);
            wgrad_tile12(dw_tap, (int)(cin - ci), cols2, runs, nruns, ci, co + 16, cout, xs, ds);
        }
    }
    if (co < cout)
        for (int64_t ci = 0; ci < cin; ci += 12)
            wgrad_tile12(dw_tap, (int)(cin - ci < 12 ? cin - ci : 12), (int)(cout - co), runs, nruns, ci, co, cout,
                         xs, ds);
}
#else
/*
 * acc[6][16] += Σ_runs Σ_q x_q[ci : ci+6] ⊗ dy_q[co : co+16], the weight-gradient
 * tile of input channels ci.. and output channels co.., held in registers over
 * all the runs of a chunk of rows and added to acc_rows once. Rows past `rows`
 * and columns past `cols` are neither read nor written.
 */
static inline void wgrad_tile(float* const acc_rows[6], int rows, int cols, const wgrad_run* runs, int nruns, int64_t ci,
                       int64_t co, int64_t xs, int64_t ds) {
    d4j_v8 c[6][2];
    if (rows == 6 && cols == 16) {
        /* the hot path: twelve named accumulators so they stay in registers */
        d4j_v8 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = d4j_v8_splat(0.0f);
        for (int r = 0; r < nruns; r++) {
            const float* xq = runs[r].x + ci;
            const float* dq = runs[r].dy + co;
            for (int64_t q = 0; q < runs[r].count; q++, xq += xs, dq += ds) {
                d4j_v8 b0 = *(const d4j_v8u*)dq, b1 = *(const d4j_v8u*)(dq + 8), v;
                v = d4j_v8_splat(xq[0]); c00 = D4J_VFMA(v, b0, c00); c01 = D4J_VFMA(v, b1, c01);
                v = d4j_v8_splat(xq[1]); c10 = D4J_VFMA(v, b0, c10); c11 = D4J_VFMA(v, b1, c11);
                v = d4j_v8_splat(xq[2]); c20 = D4J_VFMA(v, b0, c20); c21 = D4J_VFMA(v, b1, c21);
                v = d4j_v8_splat(xq[3]); c30 = D4J_VFMA(v, b0, c30); c31 = D4J_VFMA(v, b1, c31);
                v = d4j_v8_splat(xq[4]); c40 = D4J_VFMA(v, b0, c40); c41 = D4J_VFMA(v, b1, c41);
                v = d4j_v8_splat(xq[5]); c50 = D4J_VFMA(v, b0, c50); c51 = D4J_VFMA(v, b1, c51);
            }
        }
        c[0][0] = c00; c[0][1] = c01; c[1][0] = c10; c[1][1] = c11; c[2][0] = c20; c[2][1] = c21;
        c[3][0] = c30; c[3][1] = c31; c[4][0] = c40; c[4][1] = c41; c[5][0] = c50; c[5][1] = c51;
    } else { /* edge tile: dy through a zero-padded copy */
        for (int i = 0; i < 6; i++) c[i][0] = c[i][1] = d4j_v8_splat(0.0f);
        for (int r = 0; r < nruns; r++) {
            const float* xa = runs[r].x + ci;
            const float* dyb = runs[r].dy + co;
            for (int64_t q = 0; q < runs[r].count; q++) {
                float bq[16] __attribute__((aligned(32))) = {0};
                memcpy(bq, dyb + q * ds, (size_t)cols * sizeof(float));
                d4j_v8 b0 = *(const d4j_v8*)bq, b1 = *(const d4j_v8*)(bq + 8);
                for (int i = 0; i < rows; i++) {
                    d4j_v8 v = d4j_v8_splat(xa[q * xs + i]);
                    c[i][0] = D4J_VFMA(v, b0, c[i][0]);
                    c[i][1] = D4J_VFMA(v, b1, c[i][1]);
                }
            }
        }
    }
    for (int i = 0; i < rows; i++) {
        float* a = acc_rows[i];
        if (cols == 16) {
            *(d4j_v8u*)a = *(d4j_v8u*)a + c[i][0];
            *(d4j_v8u*)(a + 8) = *(d4j_v8u*)(a + 8) + c[i][1];
        } else {
            float tmp[16];
            memcpy(tmp, &c[i][0], 32);
            memcpy(tmp + 8, &c[i][1], 32);
            for (int j = 0; j < cols; j++) a[j] += tmp[j];
        }
    }
}

/* dw_tap (Cin × Cout) += the runs' contribution, tile by tile. */
static inline void wgrad_runs(float* dw_tap, const wgrad_run* runs, int nruns, int64_t cin, int64_t cout, int64_t xs,
                       int64_t ds) {
    if (nruns == 0) return;
    for (int64_t co = 0; co < cout; co += 16) {
        int cols = (int)(cout - co < 16 ? cout - co : 16);
        for (int64_t ci = 0; ci < cin; ci += 6) {
            int rows = (int)(cin - ci < 6 ? cin - ci : 6);
            float* acc[6];
            for (int i = 0; i < 6; i++) acc[i] = dw_tap + (ci + (i < rows ? i : 0)) * cout + co;
            wgrad_tile(acc, rows, cols, runs, nruns, ci, co, xs, ds);
        }
    }
}
#endif /* __AVX512F__ */

#endif /* D4J_CPU_WGRAD_TILE_H */
