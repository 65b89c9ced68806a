/*
 * test_q_sample.c — the fused forward process against a float64 reference,
 * and its moments over many draws: E[x_t] = sqrt(abar) x_0, Var[x_t] = 1 - abar.
 */
#include <string.h>

#include "check.h"

#define T 1000

static float sqrt_ab[T], sqrt_1mab[T];

/* DDPM's linear schedule, beta from 1e-4 to 0.02, in float64. */
static void linear_schedule(void) {
    double abar = 1.0;
    for (int t = 0; t < T; t++) {
        double beta = 1e-4 + (0.02 - 1e-4) * t / (T - 1);
        abar *= 1.0 - beta;
        sqrt_ab[t] = (float)sqrt(abar);
        sqrt_1mab[t] = (float)sqrt(1.0 - abar);
    }
}

static d4j_tensor* make(d4j_ctx* ctx, const int64_t* shape, int nd, float value) {
    d4j_tensor* t = NULL;
    CHECK_OK(d4j_tensor_create(ctx, &t, shape, nd));
    CHECK_OK(d4j_tensor_fill(ctx, t, value));
    return t;
}

static void matches_reference(d4j_ctx* ctx, const int64_t* shape, int nd) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    int64_t batch = shape[0];
    float* x0 = malloc((size_t)n * sizeof(float));
    float* xt = malloc((size_t)n * sizeof(float));
    float* eps = malloc((size_t)n * sizeof(float));
    float* z = malloc((size_t)n * sizeof(float));
    int32_t* t = malloc((size_t)batch * sizeof(int32_t));
    test_data(x0, n, (uint32_t)n);
    for (int64_t s = 0; s < batch; s++) t[s] = (int32_t)((s * 397 + 1) % T);
    t[0] = 0;
    if (batch > 1) t[batch - 1] = T - 1;

    d4j_tensor* tx0 = make(ctx, shape, nd, 0);
    d4j_tensor* txt = make(ctx, shape, nd, NAN); /* poisoned: an unwritten element fails */
    d4j_tensor* teps = make(ctx, shape, nd, NAN);
    d4j_tensor* tz = make(ctx, shape, nd, NAN);
    CHECK_OK(d4j_tensor_upload(ctx, tx0, x0, n));
    CHECK_OK(d4j_ctx_set_rng(ctx, 2024, 17));
    CHECK_OK(d4j_q_sample(ctx, txt, teps, tx0, t, sqrt_ab, sqrt_1mab, batch, T));
    CHECK_OK(d4j_ctx_set_rng(ctx, 2024, 17));
    CHECK_OK(d4j_fill_normal(ctx, tz, 0, 1));
    CHECK_OK(d4j_tensor_download(ctx, xt, txt, n));
    CHECK_OK(d4j_tensor_download(ctx, eps, teps, n));
    CHECK_OK(d4j_tensor_download(ctx, z, tz, n));

    CHECK(memcmp(eps, z, (size_t)n * sizeof(float)) == 0, "eps differs from d4j_fill_normal at the same offset");
    double num = 0, den = 0;
    int64_t per = n / batch;
    for (int64_t i = 0; i < n; i++) {
        int64_t s = i / per;
        double ref = (double)sqrt_ab[t[s]] * x0[i] + (double)sqrt_1mab[t[s]] * (double)eps[i];
        double d = xt[i] - ref;
        num += d * d;
        den += ref * ref;
        if (!(d == d)) num = INFINITY;
    }
    double rel = sqrt(num / den);
    CHECK(rel < 1e-6, "x_t vs float64: relative error %.3g", rel);
    printf("q_sample n=%lld batch=%lld: relative error vs float64 %.3g\n", (long long)n, (long long)batch, rel);
    d4j_tensor_free(tx0);
    d4j_tensor_free(txt);
    d4j_tensor_free(teps);
    d4j_tensor_free(tz);
    free(x0); free(xt); free(eps); free(z); free(t);
}

/* Over K draws each element's mean is sqrt(abar) x_0 and its variance 1 - abar. */
static void moments(d4j_ctx* ctx) {
    enum { B = 4, P = 250, K = 4000 };
    int64_t shape[2] = {B, P};
    int32_t t[B] = {0, 100, 500, 999};
    float x0[B * P], xt[B * P];
    static double sum[B * P], sq[B * P];
    test_data(x0, B * P, 5);
    d4j_tensor* tx0 = make(ctx, shape, 2, 0);
    d4j_tensor* txt = make(ctx, shape, 2, 0);
    d4j_tensor* teps = make(ctx, shape, 2, 0);
    CHECK_OK(d4j_tensor_upload(ctx, tx0, x0, B * P));
    CHECK_OK(d4j_ctx_set_rng(ctx, 99, 0));
    for (int k = 0; k < K; k++) {
        CHECK_OK(d4j_q_sample(ctx, txt, teps, tx0, t, sqrt_ab, sqrt_1mab, B, T));
        CHECK_OK(d4j_tensor_download(ctx, xt, txt, B * P));
        for (int i = 0; i < B * P; i++) {
            sum[i] += xt[i];
            sq[i] += (double)xt[i] * xt[i];
        }
    }
    for (int s = 0; s < B; s++) {
        double a = sqrt_ab[t[s]], b2 = (double)sqrt_1mab[t[s]] * sqrt_1mab[t[s]];
        double worst_z = 0, var_sum = 0;
        for (int j = 0; j < P; j++) {
            int i = s * P + j;
            double mean = sum[i] / K;
            double var = sq[i] / K - mean * mean;
            double z = (mean - a * x0[i]) / sqrt(b2 / K); /* standardized error of the mean */
            if (fabs(z) > worst_z) worst_z = fabs(z);
            var_sum += var;
        }
        double var = var_sum / P; /* pooled over K*P = 1e6 draws: relative s.e. 0.0014 */
        CHECK(worst_z < 5.0, "t=%d: an element's mean is %.2f standard errors off", t[s], worst_z);
        CHECK(fabs(var / b2 - 1.0) < 0.01, "t=%d: variance %.6g, want %.6g", t[s], var, b2);
        printf("t=%3d: worst mean error %.2f s.e., variance %.6g (want %.6g)\n", t[s], worst_z, var, b2);
    }
    d4j_tensor_free(tx0);
    d4j_tensor_free(txt);
    d4j_tensor_free(teps);
}

int main(void) {
    linear_schedule();
    d4j_ctx* ctx;
    CHECK_OK(d4j_ctx_create(&ctx, D4J_DEVICE_CPU, 0));
    int64_t s1[4] = {3, 5, 7, 2}, s2[4] = {64, 32, 32, 1}, s3[4] = {1, 28, 28, 1}, s4[4] = {300, 14, 14, 3};
    matches_reference(ctx, s1, 4);
    matches_reference(ctx, s2, 4);
    matches_reference(ctx, s3, 4);
    matches_reference(ctx, s4, 4);
    moments(ctx);
    CHECK_OK(d4j_ctx_free(ctx));
    return finish("test_q_sample");
}
