/*
 * test_conv2d.c — convolution forward, backward data and backward weights
 * against direct float64 loops, for 1×1 and 3×3 kernels, strides 1 and 2,
 * pads 0..2, odd channel counts and odd maps (so every edge tile runs), under
 * each convolution algorithm: direct, Winograd F(2×2, 3×3) and F(4×4, 3×3) (3×3
 * stride 1; other shapes fall back to direct) and the automatic choice, at the
 * Fashion-MNIST U-Net's shapes (32 and 64 channels on 28×28, 14×14 and 7×7 maps,
 * and its 1-channel first and last layers, which the thin kernels run). Runs under
 * every CPU build. The forward with a fused residual must give the bits of the forward and an add.
 * Tolerance: relative RMS error 1e-5 for every algorithm. float32's unit
 * roundoff is 6e-8; a sum of 9·Cin products (≤ 576 here) grows a random-walk
 * error of ~sqrt(576)·6e-8 ≈ 1.4e-6, and Winograd's transforms add a few more
 * roundings of sums of up to 16 terms (errors seen: ≤ 1e-6 direct, ≤ 2e-6 Winograd).
 */
#include <string.h>

#include "check.h"

typedef struct { int n, h, w, cin, cout, k, s, p; } cfg;

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

static void run(cfg c, int32_t algo) {
    int ho = (c.h + 2 * c.p - c.k) / c.s + 1, wo = (c.w + 2 * c.p - c.k) / c.s + 1;
    int64_t nx = (int64_t)c.n * c.h * c.w * c.cin, nw = (int64_t)c.k * c.k * c.cin * c.cout,
            ny = (int64_t)c.n * ho * wo * c.cout;
    float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc(c.cout * 4), *dy = malloc(ny * 4);
    float *y = malloc(ny * 4), *dx = malloc(nx * 4), *dw = malloc(nw * 4), *db = malloc(c.cout * 4);
    double *ry = calloc(ny, 8), *rdx = calloc(nx, 8), *rdw = calloc(nw, 8), *rdb = calloc(c.cout, 8);
    test_data(x, nx, 1);
    test_data(w, nw, 2);
    test_data(b, c.cout, 3);
    test_data(dy, ny, 4);
    test_data(dw, nw, 5); /* dw and db accumulate: start non-zero */
    test_data(db, c.cout, 6);
    for (int64_t i = 0; i < nw; i++) rdw[i] = dw[i];
    for (int i = 0; i < c.cout; i++) rdb[i] = db[i] + 0.0;
    for (int n = 0; n < c.n; n++)
        for (int oh = 0; oh < ho; oh++)
            for (int ow = 0; ow < wo; ow++)
                for (int co = 0; co < c.cout; co++) {
                    int64_t yi = (((int64_t)n * ho + oh) * wo + ow) * c.cout + co;
                    double acc = b[co];
                    rdb[co] += dy[yi];
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
    d4j_ctx* ctx;
    CHECK_OK(d4j_ctx_create(&ctx, D4J_DEVICE_CPU, 0));
    CHECK_OK(d4j_ctx_set_conv_algo(ctx, algo));
    int64_t sx[4] = {c.n, c.h, c.w, c.cin}, sw[4] = {c.k, c.k, c.cin, c.cout}, sy[4] = {c.n, ho, wo, c.cout},
            sb[1] = {c.cout};
    d4j_tensor *tx, *tw, *tb, *tdy, *ty, *tdx, *tdw, *tdb;
    CHECK_OK(d4j_tensor_create(ctx, &tx, sx, 4));
    CHECK_OK(d4j_tensor_create(ctx, &tdx, sx, 4));
    CHECK_OK(d4j_tensor_create(ctx, &tw, sw, 4));
    CHECK_OK(d4j_tensor_create(ctx, &tdw, sw, 4));
    CHECK_OK(d4j_tensor_create(ctx, &ty, sy, 4));
    CHECK_OK(d4j_tensor_create(ctx, &tdy, sy, 4));
    CHECK_OK(d4j_tensor_create(ctx, &tb, sb, 1));
    CHECK_OK(d4j_tensor_create(ctx, &tdb, sb, 1));
    CHECK_OK(d4j_tensor_upload(ctx, tx, x, nx));
    CHECK_OK(d4j_tensor_upload(ctx, tw, w, nw));
    CHECK_OK(d4j_tensor_upload(ctx, tb, b, c.cout));
    CHECK_OK(d4j_tensor_upload(ctx, tdy, dy, ny));
    CHECK_OK(d4j_tensor_upload(ctx, tdw, dw, nw));
    CHECK_OK(d4j_tensor_upload(ctx, tdb, db, c.cout));
    CHECK_OK(d4j_tensor_fill(ctx, ty, NAN));
    CHECK_OK(d4j_tensor_fill(ctx, tdx, NAN));
    CHECK_OK(d4j_conv2d_forward(ctx, ty, tx, tw, tb, c.s, c.p));
    CHECK_OK(d4j_conv2d_backward_data(ctx, tdx, tdy, tw, c.s, c.p));
    CHECK_OK(d4j_conv2d_backward_weights(ctx, tdw, tdb, tdy, tx, c.s, c.p));
    CHECK_OK(d4j_tensor_download(ctx, y, ty, ny));
    CHECK_OK(d4j_tensor_download(ctx, dx, tdx, nx));
    CHECK_OK(d4j_tensor_download(ctx, dw, tdw, nw));
    CHECK_OK(d4j_tensor_download(ctx, db, tdb, c.cout));
    double e[4] = {rel(y, ry, ny), rel(dx, rdx, nx), rel(dw, rdw, nw), rel(db, rdb, c.cout)};
    static const char* algos[] = {"auto", "direct", "winograd", "winograd2", "winograd4"};
    printf("conv %dx%dx%dx%d->%d k%d s%d p%d %s (%s): y %.2e dx %.2e dw %.2e db %.2e\n", c.n, c.h, c.w, c.cin, c.cout,
           c.k, c.s, c.p, algos[algo], d4j_cpu_isa(), e[0], e[1], e[2], e[3]);
    for (int i = 0; i < 4; i++) CHECK(e[i] < 1e-5, "output %d relative error %.3g", i, e[i]);
    d4j_tensor_free(tx); d4j_tensor_free(tdx); d4j_tensor_free(tw); d4j_tensor_free(tdw);
    d4j_tensor_free(ty); d4j_tensor_free(tdy); d4j_tensor_free(tb); d4j_tensor_free(tdb);
    d4j_ctx_free(ctx);
    free(x); free(w); free(b); free(dy); free(y); free(dx); free(dw); free(db);
    free(ry); free(rdx); free(rdw); free(rdb);
}

/* The fused residual (d4j_conv2d_forward_residual) against the forward followed by an add: the
 * same bits, under each algorithm and, where the CPU has it, the bf16 precision (whose kernels add
 * the residual in a second pass); then its argument checks. */
static void run_residual(cfg c, int32_t algo, int32_t precision) {
    int ho = (c.h + 2 * c.p - c.k) / c.s + 1, wo = (c.w + 2 * c.p - c.k) / c.s + 1;
    int64_t nx = (int64_t)c.n * c.h * c.w * c.cin, nw = (int64_t)c.k * c.k * c.cin * c.cout,
            ny = (int64_t)c.n * ho * wo * c.cout;
    float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc(c.cout * 4), *r = malloc(ny * 4);
    test_data(x, nx, 11);
    test_data(w, nw, 12);
    test_data(b, c.cout, 13);
    test_data(r, ny, 14);
    d4j_ctx* ctx;
    CHECK_OK(d4j_ctx_create(&ctx, D4J_DEVICE_CPU, 0));
    CHECK_OK(d4j_ctx_set_conv_algo(ctx, algo));
    if (d4j_ctx_set_precision(ctx, precision) != D4J_OK) {
        printf("conv residual: precision %d not on this CPU (%s), not run\n", precision, d4j_last_error());
        d4j_ctx_free(ctx);
        free(x); free(w); free(b); free(r);
        return;
    }
    int64_t sx[4] = {c.n, c.h, c.w, c.cin}, sw[4] = {c.k, c.k, c.cin, c.cout}, sy[4] = {c.n, ho, wo, c.cout},
            sb[1] = {c.cout};
    d4j_tensor *tx = tensor_of(ctx, sx, 4, x), *tw = tensor_of(ctx, sw, 4, w), *tb = tensor_of(ctx, sb, 1, b),
               *tr = tensor_of(ctx, sy, 4, r), *ty = tensor_of(ctx, sy, 4, NULL), *tf = tensor_of(ctx, sy, 4, NULL);
    CHECK_OK(d4j_conv2d_forward(ctx, ty, tx, tw, tb, c.s, c.p));
    CHECK_OK(d4j_add(ctx, ty, ty, tr));
    CHECK_OK(d4j_conv2d_forward_residual(ctx, tf, tx, tr, tw, tb, c.s, c.p));
    float *y = download(ctx, ty, ny), *f = download(ctx, tf, ny);
    int64_t differ = 0;
    for (int64_t i = 0; i < ny; i++) differ += memcmp(&y[i], &f[i], sizeof(float)) != 0;
    printf("conv residual %dx%dx%dx%d->%d k%d s%d p%d algo %d precision %d: %lld of %lld differ\n", c.n, c.h, c.w,
           c.cin, c.cout, c.k, c.s, c.p, algo, precision, (long long)differ, (long long)ny);
    CHECK(differ == 0, "%lld outputs differ from forward + add", (long long)differ);
    /* the residual also as the convolution's own input, the identity-skip block's case */
    if (c.cin == c.cout && ho == c.h && wo == c.w) {
        CHECK_OK(d4j_conv2d_forward(ctx, ty, tx, tw, tb, c.s, c.p));
        CHECK_OK(d4j_add(ctx, ty, ty, tx));
        CHECK_OK(d4j_conv2d_forward_residual(ctx, tf, tx, tx, tw, tb, c.s, c.p));
        free(y); free(f);
        y = download(ctx, ty, ny), f = download(ctx, tf, ny);
        CHECK(memcmp(y, f, (size_t)ny * sizeof(float)) == 0, "residual = x differs from forward + add");
    }
    d4j_tensor_free(tx); d4j_tensor_free(tw); d4j_tensor_free(tb); d4j_tensor_free(tr); d4j_tensor_free(ty);
    d4j_tensor_free(tf);
    d4j_ctx_free(ctx);
    free(x); free(w); free(b); free(r); free(y); free(f);
}

static void residual_errors(void) {
    d4j_ctx* ctx;
    CHECK_OK(d4j_ctx_create(&ctx, D4J_DEVICE_CPU, 0));
    int64_t sx[4] = {1, 5, 5, 3}, sw[4] = {3, 3, 3, 4}, sy[4] = {1, 5, 5, 4}, sbad[4] = {1, 5, 4, 4};
    d4j_tensor *x = tensor_of(ctx, sx, 4, NULL), *w = tensor_of(ctx, sw, 4, NULL), *y = tensor_of(ctx, sy, 4, NULL),
               *bad = tensor_of(ctx, sbad, 4, NULL);
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "residual is NULL", d4j_conv2d_forward_residual(ctx, y, x, NULL, w, NULL, 1, 1));
    CHECK_FAILS(D4J_ERR_SHAPE, "residual", d4j_conv2d_forward_residual(ctx, y, x, bad, w, NULL, 1, 1));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "alias", d4j_conv2d_forward_residual(ctx, y, x, y, w, NULL, 1, 1));
    d4j_tensor_free(x); d4j_tensor_free(w); d4j_tensor_free(y); d4j_tensor_free(bad);
    d4j_ctx_free(ctx);
}

int main(void) {
    cfg cases[] = {
        {2, 7, 7, 5, 19, 3, 1, 1}, {1, 14, 14, 16, 32, 3, 2, 1}, {3, 9, 6, 13, 7, 1, 1, 0},
        {1, 6, 9, 8, 17, 3, 2, 0}, {2, 5, 5, 3, 4, 1, 2, 0},     {1, 10, 10, 40, 48, 3, 1, 1},
        {1, 9, 8, 17, 13, 3, 1, 0}, {1, 6, 7, 9, 11, 3, 1, 2},   {1, 14, 14, 33, 17, 3, 1, 1},
        {2, 28, 28, 32, 32, 3, 1, 1}, {2, 14, 14, 64, 64, 3, 1, 1}, {3, 7, 7, 64, 64, 3, 1, 1},
        /* thin layers (conv2d_thin.c): the U-Net's image-space ends, and every vector tail */
        {2, 28, 28, 1, 32, 3, 1, 1}, {2, 28, 28, 32, 1, 3, 1, 1},  {1, 9, 7, 3, 37, 3, 1, 2},
        {2, 6, 5, 45, 2, 3, 1, 0},   {1, 7, 7, 2, 3, 5, 1, 2},     {3, 4, 4, 4, 70, 1, 1, 0},
        {1, 8, 8, 64, 4, 3, 1, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int32_t algo = D4J_CONV_AUTO; algo <= D4J_CONV_WINOGRAD_4X4; algo++) {
            run(cases[i], algo);
            run_residual(cases[i], algo, D4J_PRECISION_FP32);
        }
    /* bf16: every algorithm runs the same bf16 kernels, so AUTO covers them */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_residual(cases[i], D4J_CONV_AUTO, D4J_PRECISION_BF16);
    residual_errors();
    return finish("test_conv2d");
}
