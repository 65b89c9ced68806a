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

#endif /* D4J_CPU_WGRAD_TILE_H */
