/*
 * conv2d_bf16_cases.h — shapes, float64 references and tolerances for the bf16
 * mixed-precision convolution, shared by test_conv2d_bf16.c (the library's
 * BF16 path through the public API, on an AVX-512 BF16 CPU) and
 * test_conv2d_bf16_emulated.c (the same kernels with software intrinsics, on
 * any CPU). Two references per output:
 *
 *   - rounded: float64 sums over bf16-rounded x, w, dy (round to nearest even,
 *     done here bit by bit, independently of the kernel's VCVTNE2PS2BF16). The
 *     kernel's products of two bf16 values are exact in float32 (8 + 8
 *     significant bits), so only float32 accumulation order differs: tolerance
 *     1e-5 relative, as for the fp32 kernels (error ~ √(terms)·2⁻²⁴ ≈ 4e-6 for
 *     the longest sums here, 9·128 channels or a few thousand pixels).
 *   - exact: float64 sums over the unrounded inputs. Rounding to bf16 (8
 *     significant bits) leaves a relative error |δ| ≤ u = 2⁻⁸ in each factor, so
 *     a product x·w carries δx + δw (+ δxδw). For the zero-mean random data here
 *     the terms' errors are independent, E[err²] = Σ (x_i w_i)² E[(δx+δw)²] ≤
 *     2u² Σ (x_i w_i)² while E[y²] = Σ (x_i w_i)², so the norm-wise relative
 *     error is at most √2·u ≈ 5.5e-3; the test allows 2u + u² ≈ 7.8e-3 (the
 *     per-product bound) and also requires more than 1e-4, which an fp32 run
 *     (~1e-6) cannot reach: it fails if BF16 silently ran in fp32.
 *
 * The bias gradient is a float32 sum of unrounded dy: 1e-5 against the exact sum.
 * Shapes: the U-Net's (3×3 pad 1 on 28×28, 14×14 and 7×7 maps, channels 32..128,
 * its Cin = 3 first layer), odd channel counts (an odd reduction length is
 * zero-padded to a pair), strides 1 and 2 (and a 1×1 stride 3 with pixels no tap
 * reaches), 1×1, a 7×7 kernel, linear layers, and a batch of 6 on 16×16 maps (each
 * thread of the AMX kernels then pads and runs whole images).
 */
#ifndef D4J_TEST_CONV2D_BF16_CASES_H
#define D4J_TEST_CONV2D_BF16_CASES_H

#include <stdint.h>
#include <string.h>

#include "check.h"

#define TOL_ROUNDED 1e-5
#define U_BF16 (1.0 / 256.0) /* 2^-8: unit roundoff of an 8-significant-bit format */
#define TOL_EXACT (2 * U_BF16 + U_BF16 * U_BF16)
#define MIN_EXACT 1e-4

typedef struct { int n, h, w, cin, cout, k, s, p, linear; } cfg;

static const cfg bf16_cases[] = {
    /* n, h, w, cin, cout, k, stride, pad, linear */
    {2, 28, 28, 3, 32, 3, 1, 1, 0},   /* the U-Net's first layer: Cin 3 padded to 4 */
    {2, 28, 28, 32, 32, 3, 1, 1, 0},
    {2, 14, 14, 32, 64, 3, 1, 1, 0},
    {2, 7, 7, 64, 128, 3, 1, 1, 0},
    {2, 7, 7, 128, 128, 3, 1, 1, 0},
    {2, 28, 28, 32, 32, 3, 2, 1, 0},  /* downsampling */
    {3, 14, 14, 33, 17, 3, 2, 1, 0},  /* odd channels both ways */
    {2, 7, 7, 17, 33, 3, 1, 1, 0},
    {6, 16, 16, 32, 48, 3, 1, 1, 0},  /* batch ≥ 2 × threads: the image-per-thread schedule of the AMX kernels */
    {2, 14, 14, 128, 64, 1, 1, 0, 0}, /* 1×1 skip projection */
    {3, 7, 7, 17, 33, 1, 1, 0, 0},
    {2, 9, 9, 6, 10, 1, 3, 0, 0},     /* pixels no tap reaches get dx = 0 */
    {2, 14, 14, 5, 9, 7, 1, 3, 0},    /* 7×7 kernel */
    {2, 6, 9, 8, 17, 3, 2, 0, 0},
    {5, 1, 1, 33, 17, 1, 1, 0, 1},    /* linear layers (N rows, H = W = 1) */
    {128, 1, 1, 128, 512, 1, 1, 0, 1},
};
#define BF16_CASES ((int)(sizeof bf16_cases / sizeof bf16_cases[0]))

/* bf16(v) as a float: round to nearest, ties to even, on the upper 16 bits (finite normal test data). */
static float bf16_round(float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    u = (u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u;
    memcpy(&v, &u, 4);
    return v;
}

static double rel(const float* a, const double* b, int64_t n) {
    double num = 0, den = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = a[i] - b[i];
        if (!(d == d)) return INFINITY;
        num += d * d;
        den += b[i] * b[i];
    }
    return sqrt(num / (den > 0 ? den : 1));
}

/* ry, rdx (overwritten), rdw, rdb (added to) from x, w, b, dy: the three convolution sums in float64. */
static void reference(cfg c, int ho, int wo, const float* x, const float* w, const float* b, const float* dy,
                      double* ry, double* rdx, double* rdw, double* rdb) {
    int64_t nx = (int64_t)c.n * c.h * c.w * c.cin;
    memset(rdx, 0, (size_t)nx * sizeof(double));
    for (int n = 0; n < c.n; n++)
        for (int oh = 0; oh < ho; oh++)
            for (int ow = 0; ow < wo; ow++)
                for (int co = 0; co < c.cout; co++) {
                    int64_t yi = (((int64_t)n * ho + oh) * wo + ow) * c.cout + co;
                    double acc = b ? b[co] : 0.0;
                    if (rdb) rdb[co] += dy[yi];
                    for (int kh = 0; kh < c.k; kh++)
                        for (int kw = 0; kw < c.k; kw++) {
                            int hi = oh * c.s - c.p + kh, wi = ow * c.s - c.p + kw;
                            if (hi < 0 || hi >= c.h || wi < 0 || wi >= c.w) continue;
                            for (int ci = 0; ci < c.cin; ci++) {
                                int64_t xi = (((int64_t)n * c.h + hi) * c.w + wi) * c.cin + ci;
                                int64_t wi_ = (((int64_t)kh * c.k + kw) * c.cin + ci) * c.cout + co;
                                acc += (double)x[xi] * w[wi_];
                                rdx[xi] += (double)dy[yi] * w[wi_];
                                rdw[wi_] += (double)dy[yi] * x[xi];
                            }
                        }
                    ry[yi] = acc;
                }
}

/* What a test runs: y = forward (y arrives NaN-poisoned), dx = backward data (NaN-poisoned),
 * dw += and db += backward weights (they arrive holding their initial values). */
typedef void (*bf16_runner)(cfg c, int ho, int wo, float* y, float* dx, float* dw, float* db, const float* x,
                            const float* w, const float* b, const float* dy);

/* Runs one case through `runner` and checks it against both references. */
static void check_case(cfg c, bf16_runner runner, const char* label) {
    int ho = (c.h + 2 * c.p - c.k) / c.s + 1, wo = (c.w + 2 * c.p - c.k) / c.s + 1;
    int64_t nx = (int64_t)c.n * c.h * c.w * c.cin, nw = (int64_t)c.k * c.k * c.cin * c.cout,
            ny = (int64_t)c.n * ho * wo * c.cout;
    float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc(c.cout * 4), *dy = malloc(ny * 4);
    float *xr = malloc(nx * 4), *wr = malloc(nw * 4), *dyr = malloc(ny * 4);
    float *y = malloc(ny * 4), *dx = malloc(nx * 4), *dw = malloc(nw * 4), *db = malloc(c.cout * 4);
    double *ry = calloc(ny, 8), *rdx = calloc(nx, 8), *rdw = calloc(nw, 8), *rdb = calloc(c.cout, 8);
    double *ey = calloc(ny, 8), *edx = calloc(nx, 8), *edw = calloc(nw, 8);
    test_data(x, nx, 11);
    test_data(w, nw, 12);
    test_data(b, c.cout, 13);
    test_data(dy, ny, 14);
    test_data(dw, nw, 15); /* dw and db accumulate: start non-zero */
    test_data(db, c.cout, 16);
    for (int64_t i = 0; i < nx; i++) xr[i] = bf16_round(x[i]);
    for (int64_t i = 0; i < nw; i++) wr[i] = bf16_round(w[i]);
    for (int64_t i = 0; i < ny; i++) dyr[i] = bf16_round(dy[i]);
    for (int64_t i = 0; i < nw; i++) rdw[i] = edw[i] = dw[i];
    for (int i = 0; i < c.cout; i++) rdb[i] = db[i];
    reference(c, ho, wo, xr, wr, b, dyr, ry, rdx, rdw, NULL); /* rounded factors */
    reference(c, ho, wo, x, w, b, dy, ey, edx, edw, rdb);     /* exact; rdb: Σ of unrounded dy */
    for (int64_t i = 0; i < ny; i++) y[i] = NAN;
    for (int64_t i = 0; i < nx; i++) dx[i] = NAN;

    runner(c, ho, wo, y, dx, dw, db, x, w, b, dy);

    double er[3] = {rel(y, ry, ny), rel(dx, rdx, nx), rel(dw, rdw, nw)};
    double ee[3] = {rel(y, ey, ny), rel(dx, edx, nx), rel(dw, edw, nw)};
    double eb = rel(db, rdb, c.cout);
    if (c.linear) printf("%s linear %dx%d->%d", label, c.n, c.cin, c.cout);
    else printf("%s conv %dx%dx%dx%d->%d k%d s%d p%d", label, c.n, c.h, c.w, c.cin, c.cout, c.k, c.s, c.p);
    printf(": vs rounded y %.2e dx %.2e dw %.2e | vs exact y %.2e dx %.2e dw %.2e | db %.2e\n", er[0], er[1], er[2],
           ee[0], ee[1], ee[2], eb);
    static const char* names[3] = {"y", "dx", "dw"};
    for (int i = 0; i < 3; i++) {
        CHECK(er[i] < TOL_ROUNDED, "%s vs bf16-rounded float64: relative error %.3g", names[i], er[i]);
        CHECK(ee[i] < TOL_EXACT, "%s vs exact float64: relative error %.3g", names[i], ee[i]);
        CHECK(ee[i] > MIN_EXACT, "%s vs exact float64: relative error %.3g is fp32-sized: not bf16", names[i], ee[i]);
    }
    CHECK(eb < TOL_ROUNDED, "dbias (float32 sum of unrounded dy): relative error %.3g", eb);
    free(x); free(w); free(b); free(dy); free(xr); free(wr); free(dyr);
    free(y); free(dx); free(dw); free(db);
    free(ry); free(rdx); free(rdw); free(rdb); free(ey); free(edx); free(edw);
}

#endif /* D4J_TEST_CONV2D_BF16_CASES_H */
