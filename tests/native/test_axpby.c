/*
 * test_axpby.c — out = a[n]·x + b[n]·y per sample (d4j_axpby) against a loop
 * (fmaf(a, x, b·y) exactly, and float64 within rounding), y NULL, out aliasing x
 * and y, samples split into runs and the parallel path; bad inputs named.
 */
#include <string.h>

#include "check.h"

static void case_(d4j_ctx* ctx, const int64_t* shape, int nd, int with_y, int alias) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    int64_t batch = shape[0], per = n / batch;
    float *x = malloc((size_t)n * 4), *y = malloc((size_t)n * 4);
    float *a = malloc((size_t)batch * 4), *b = malloc((size_t)batch * 4);
    test_data(x, n, 21);
    test_data(y, n, 22);
    test_data(a, batch, 23);
    test_data(b, batch, 24);
    d4j_tensor *tx = tensor_of(ctx, shape, nd, x), *ty = tensor_of(ctx, shape, nd, y);
    d4j_tensor* tout = alias == 1 ? tx : alias == 2 ? ty : tensor_of(ctx, shape, nd, NULL);
    CHECK_OK(d4j_axpby(ctx, tout, tx, with_y ? ty : NULL, a, with_y ? b : NULL));
    float* got = download(ctx, tout, n);
    double num = 0, den = 0;
    int64_t inexact = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t s = i / per;
        double ref = (double)a[s] * x[i] + (with_y ? (double)b[s] * y[i] : 0.0);
        float want = with_y ? fmaf(a[s], x[i], b[s] * y[i]) : a[s] * x[i];
        inexact += memcmp(&want, &got[i], 4) != 0;
        double d = got[i] - ref;
        num += d * d;
        den += ref * ref;
        if (!(d == d)) num = INFINITY;
    }
    double rel = sqrt(num / den);
    CHECK(inexact == 0, "%lld x %lld y %d alias %d: %lld elements differ from fmaf(a, x, b y)", (long long)batch,
          (long long)per, with_y, alias, (long long)inexact);
    CHECK(rel < 1e-7, "%lld x %lld: relative error %.3g vs float64", (long long)batch, (long long)per, rel);
    printf("axpby %lld x %lld, y %s, out %s: rel err vs float64 %.3g\n", (long long)batch, (long long)per,
           with_y ? "given" : "NULL", alias == 1 ? "= x" : alias == 2 ? "= y" : "separate", rel);
    free(got); free(x); free(y); free(a); free(b);
    if (!alias) d4j_tensor_free(tout);
    d4j_tensor_free(tx);
    d4j_tensor_free(ty);
}

static void bad_inputs(d4j_ctx* ctx) {
    int64_t shape[2] = {3, 5}, other[2] = {3, 6};
    d4j_tensor *x = tensor_of(ctx, shape, 2, NULL), *out = tensor_of(ctx, shape, 2, NULL);
    d4j_tensor* wrong = tensor_of(ctx, other, 2, NULL);
    float a[3] = {1, 2, 3}, b[3] = {1, 2, 3}, bad[3] = {1, 2, INFINITY};
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "d4j_axpby: a is NULL; it must hold 3 floats",
                d4j_axpby(ctx, out, x, x, NULL, b));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "b is NULL; it must hold 3 floats", d4j_axpby(ctx, out, x, x, a, NULL));
    CHECK_OK(d4j_axpby(ctx, out, x, NULL, a, NULL)); /* b unread without y */
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "a[2] is inf", d4j_axpby(ctx, out, x, x, bad, b));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "b[2] is inf", d4j_axpby(ctx, out, x, x, a, bad));
    bad[2] = NAN;
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "b[2] is nan", d4j_axpby(ctx, out, x, x, a, bad));
    CHECK_FAILS(D4J_ERR_SHAPE, "y has shape [3, 6] but out has shape [3, 5]", d4j_axpby(ctx, out, x, wrong, a, b));
    CHECK_FAILS(D4J_ERR_SHAPE, "x has shape [3, 6] but out has shape [3, 5]", d4j_axpby(ctx, out, wrong, x, a, b));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "tensor x is NULL", d4j_axpby(ctx, out, NULL, x, a, b));
    d4j_tensor_free(x); d4j_tensor_free(out); d4j_tensor_free(wrong);
}

int main(void) {
    d4j_ctx* ctx;
    CHECK_OK(d4j_ctx_create(&ctx, D4J_DEVICE_CPU, 0));
    int64_t s1[4] = {5, 3, 3, 2}, s2[2] = {3, 10001}, s3[4] = {64, 28, 28, 1}, s4[1] = {7};
    const int64_t* shapes[4] = {s1, s2, s3, s4};
    int nds[4] = {4, 2, 4, 1};
    for (int k = 0; k < 4; k++)
        for (int with_y = 0; with_y < 2; with_y++)
            for (int alias = 0; alias < (with_y ? 3 : 2); alias++) case_(ctx, shapes[k], nds[k], with_y, alias);
    bad_inputs(ctx);
    CHECK_OK(d4j_ctx_free(ctx));
    return finish("test_axpby");
}
