/*
 * test_variance_shift.c — x += scale·Σ ⊙ grad (d4j_variance_shift) against a
 * float64 loop: Σ from the learned range (r over [−1.5, 1.5], f outside [0, 1]),
 * var_out NULL (Σ = exp(log_var_min)), exp's argument clamped to [−87, 88] on both
 * sides, the parallel path; the same bits as the shared element function; bad
 * inputs named and x left alone.
 */
#include <string.h>

#include "check.h"
#include "../../native/src/core/variance_shift.h" /* the element function both backends run */

/* x + scale·exp(clamp(f·max + (1 − f)·min, −87, 88))·g in float64, f = (r + 1)/2 (0 without r) */
static double ref_shift(double x, double g, const float* r, double scale, double max, double min) {
    double f = r ? (*r + 1.0) / 2.0 : 0.0, lv = f * max + (1 - f) * min;
    return x + scale * exp(fmin(88.0, fmax(-87.0, lv))) * g;
}

static void case_(d4j_ctx* ctx, const int64_t* shape, int nd, int learned, float scale, float max, float min,
                  const char* what) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    float *x = malloc((size_t)n * 4), *g = malloc((size_t)n * 4), *r = malloc((size_t)n * 4);
    test_data(x, n, 31);
    test_data(g, n, 32);
    test_data(r, n, 33);
    for (int64_t i = 0; i < n; i++) r[i] *= 1.5f;
    d4j_tensor *tx = tensor_of(ctx, shape, nd, x), *tg = tensor_of(ctx, shape, nd, g), *tr = tensor_of(ctx, shape, nd, r);
    CHECK_OK(d4j_variance_shift(ctx, tx, tg, learned ? tr : NULL, scale, max, min));
    float* got = download(ctx, tx, n);
    double worst = 0;
    int64_t inexact = 0, clamped = 0;
    for (int64_t i = 0; i < n; i++) {
        const float* ri = learned ? &r[i] : NULL;
        double ref = ref_shift(x[i], g[i], ri, scale, max, min);
        double shift = ref - x[i], f = ri ? (*ri + 1.0) / 2.0 : 0.0, lv = f * max + (1 - f) * min;
        clamped += lv < -87 || lv > 88;
        /* log Σ rounded to float (|log Σ| up to ~140 here), d4j_expf's 4 ulp, scale·Σ and the fma */
        double e = fabs(got[i] - ref) / (fabs(x[i]) + fabs(shift));
        worst = e == e ? fmax(worst, e) : INFINITY;
        float want = d4j_variance_shift_element(x[i], g[i], learned ? r[i] : -1.0f, scale, max, min);
        inexact += memcmp(&want, &got[i], 4) != 0;
    }
    double tol = fmax(fabs(max), fabs(min)) > 10 ? 3e-5 : 2e-6; /* a large log Σ rounds coarser */
    CHECK(worst < tol, "%s n=%lld: worst element error %.3g (relative to |x| + |shift|)", what, (long long)n, worst);
    CHECK(inexact == 0, "%s n=%lld: %lld elements differ from d4j_variance_shift_element", what, (long long)n,
          (long long)inexact);
    printf("variance shift %s n=%lld: worst rel err %.3g vs float64, %lld clamped\n", what, (long long)n, worst,
           (long long)clamped);
    free(got); free(x); free(g); free(r);
    d4j_tensor_free(tx); d4j_tensor_free(tg); d4j_tensor_free(tr);
}

/* exp's clamp bites: a fixed Σ at log_var_min = ∓100 is exp(∓87)/exp(88), not exp(∓100) */
static void clamp_fixed(d4j_ctx* ctx) {
    int64_t shape[1] = {5};
    float x[5] = {0.5f, -0.25f, 1.0f, 0.75f, -1.0f}, g[5] = {1.0f, -2.0f, 0.5f, 3.0f, -0.5f};
    for (int side = 0; side < 2; side++) {
        float min = side ? 100.0f : -100.0f, scale = side ? 1e-30f : 1e30f;
        d4j_tensor *tx = tensor_of(ctx, shape, 1, x), *tg = tensor_of(ctx, shape, 1, g);
        CHECK_OK(d4j_variance_shift(ctx, tx, tg, NULL, scale, 0.0f, min));
        float got[5];
        CHECK_OK(d4j_tensor_download(ctx, got, tx, 5));
        for (int i = 0; i < 5; i++) {
            double want = x[i] + (double)scale * exp(side ? 88.0 : -87.0) * g[i];
            CHECK(fabs(got[i] - want) <= 2e-6 * fabs(want), "log_var_min %g: element %d is %.9g, want %.9g", min, i,
                  got[i], want);
        }
        d4j_tensor_free(tx); d4j_tensor_free(tg);
    }
}

/* var_out NULL is r = −1 (f = 0) bit for bit, whatever log_var_max */
static void null_is_f_zero(d4j_ctx* ctx) {
    int64_t shape[2] = {4, 1001};
    int64_t n = 4 * 1001;
    float *x = malloc((size_t)n * 4), *g = malloc((size_t)n * 4);
    test_data(x, n, 41);
    test_data(g, n, 42);
    d4j_tensor *a = tensor_of(ctx, shape, 2, x), *b = tensor_of(ctx, shape, 2, x), *tg = tensor_of(ctx, shape, 2, g);
    d4j_tensor* r = tensor_of(ctx, shape, 2, NULL);
    CHECK_OK(d4j_tensor_fill(ctx, r, -1.0f));
    CHECK_OK(d4j_variance_shift(ctx, a, tg, NULL, 3.0f, 7.0f, -2.5f));
    CHECK_OK(d4j_variance_shift(ctx, b, tg, r, 3.0f, 7.0f, -2.5f));
    float *ga = download(ctx, a, n), *gb = download(ctx, b, n);
    CHECK(memcmp(ga, gb, (size_t)n * 4) == 0, "var_out NULL differs from var_out = -1");
    free(ga); free(gb); free(x); free(g);
    d4j_tensor_free(a); d4j_tensor_free(b); d4j_tensor_free(tg); d4j_tensor_free(r);
}

static void bad_inputs(d4j_ctx* ctx) {
    int64_t shape[2] = {3, 5}, other[2] = {3, 6};
    float ones[15];
    for (int i = 0; i < 15; i++) ones[i] = 1.0f;
    d4j_tensor *x = tensor_of(ctx, shape, 2, ones), *g = tensor_of(ctx, shape, 2, ones), *r = tensor_of(ctx, shape, 2, ones);
    d4j_tensor* wrong = tensor_of(ctx, other, 2, ones);
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "d4j_variance_shift: tensor x is NULL",
                d4j_variance_shift(ctx, NULL, g, r, 1, 0, 0));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "tensor grad is NULL", d4j_variance_shift(ctx, x, NULL, r, 1, 0, 0));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "context is NULL", d4j_variance_shift(NULL, x, g, r, 1, 0, 0));
    CHECK_FAILS(D4J_ERR_SHAPE, "grad has shape [3, 6] but x has shape [3, 5]",
                d4j_variance_shift(ctx, x, wrong, r, 1, 0, 0));
    CHECK_FAILS(D4J_ERR_SHAPE, "var_out has shape [3, 6] but x has shape [3, 5]",
                d4j_variance_shift(ctx, x, g, wrong, 1, 0, 0));
    CHECK_FAILS(D4J_ERR_SHAPE, "grad has shape [3, 5] but x has shape [3, 6]",
                d4j_variance_shift(ctx, wrong, g, NULL, 1, 0, 0));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "x must not alias grad", d4j_variance_shift(ctx, x, x, r, 1, 0, 0));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "x must not alias var_out", d4j_variance_shift(ctx, x, g, x, 1, 0, 0));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "scale is inf", d4j_variance_shift(ctx, x, g, r, INFINITY, 0, 0));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "scale is nan", d4j_variance_shift(ctx, x, g, NULL, NAN, 0, 0));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "log_var_max is nan; it must be finite",
                d4j_variance_shift(ctx, x, g, r, 1, NAN, 0));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "log_var_max is inf", d4j_variance_shift(ctx, x, g, NULL, 1, INFINITY, 0));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "log_var_min is -inf", d4j_variance_shift(ctx, x, g, r, 1, 0, -INFINITY));
    float back[15];
    CHECK_OK(d4j_tensor_download(ctx, back, x, 15));
    CHECK(memcmp(back, ones, sizeof back) == 0, "a refused call changed x");
    CHECK_OK(d4j_variance_shift(ctx, x, g, g, 1, 0, 0)); /* grad and var_out may be one tensor */
    d4j_tensor_free(x); d4j_tensor_free(g); d4j_tensor_free(r); d4j_tensor_free(wrong);
}

/* case_ over shapes: odd sizes, the parallel path (n >= 32768), one dimension */
static void every_shape(d4j_ctx* ctx, int learned, float scale, float max, float min, const char* what) {
    int64_t small[4] = {5, 3, 3, 2}, wide[2] = {3, 10001}, images[4] = {64, 28, 28, 1}, odd[1] = {7};
    case_(ctx, small, 4, learned, scale, max, min, what);
    case_(ctx, wide, 2, learned, scale, max, min, what);
    case_(ctx, images, 4, learned, scale, max, min, what);
    case_(ctx, odd, 1, learned, scale, max, min, what);
}

int main(void) {
    d4j_ctx* ctx;
    CHECK_OK(d4j_ctx_create(&ctx, D4J_DEVICE_CPU, 0));
    /* the linear schedule (T = 1000, β from 1e-4 to 0.02) at t = 10: log β_t, log β̃_t; s = 2.5 */
    double abar_prev = 1, beta = 0;
    for (int i = 0; i < 10; i++) {
        beta = 1e-4 + (0.02 - 1e-4) * i / 999;
        abar_prev *= 1 - beta;
    }
    beta = 1e-4 + (0.02 - 1e-4) * 10 / 999;
    const float lmax = (float)log(beta), lmin = (float)log((1 - abar_prev) / (1 - abar_prev * (1 - beta)) * beta);
    every_shape(ctx, 1, 2.5f, lmax, lmin, "learned");
    every_shape(ctx, 0, 2.5f, lmax, lmin, "fixed");
    every_shape(ctx, 1, -40.0f, -0.82667857f, -1.40204272f, "learned, large steps");
    int64_t images[4] = {64, 28, 28, 1};
    case_(ctx, images, 4, 1, 1.0f, 95.0f, -95.0f, "learned, clamped both sides");
    clamp_fixed(ctx);
    null_is_f_zero(ctx);
    bad_inputs(ctx);
    CHECK_OK(d4j_ctx_free(ctx));
    return finish("test_variance_shift");
}
