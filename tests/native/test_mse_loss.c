/*
 * test_mse_loss.c — the per-sample weighted MSE (d4j_mse_loss with weights):
 * loss and gradient against float64, weights all 1 give the unweighted op's
 * bits, the loss has the same bits on every run, a sample split across the
 * CPU's fixed slices, bad weights named. Outputs poisoned with NaN.
 */
#include <string.h>

#include "check.h"

static void weighted(d4j_ctx* ctx, const int64_t* shape, int nd) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    int64_t batch = shape[0], per = n / batch;
    float *p = malloc((size_t)n * 4), *t = malloc((size_t)n * 4), *w = malloc((size_t)batch * 4);
    float* ones = malloc((size_t)batch * 4);
    test_data(p, n, 31);
    test_data(t, n, 32);
    for (int64_t s = 0; s < batch; s++) {
        w[s] = 0.25f + (float)(s % 5); /* 0.25 .. 4.25 */
        ones[s] = 1.0f;
    }
    w[0] = 0.0f; /* a sample that does not count */
    int64_t one[1] = {1};
    d4j_tensor *tp = tensor_of(ctx, shape, nd, p), *tt = tensor_of(ctx, shape, nd, t);
    d4j_tensor *tg = tensor_of(ctx, shape, nd, NULL), *tl = tensor_of(ctx, one, 1, NULL);
    d4j_tensor *tg1 = tensor_of(ctx, shape, nd, NULL), *tl1 = tensor_of(ctx, one, 1, NULL);
    d4j_tensor *tg0 = tensor_of(ctx, shape, nd, NULL), *tl0 = tensor_of(ctx, one, 1, NULL);
    d4j_tensor* tl2 = tensor_of(ctx, one, 1, NULL);
    CHECK_OK(d4j_mse_loss(ctx, tl, tg, tp, tt, w));
    CHECK_OK(d4j_mse_loss(ctx, tl2, NULL, tp, tt, w));
    CHECK_OK(d4j_mse_loss(ctx, tl1, tg1, tp, tt, ones));
    CHECK_OK(d4j_mse_loss(ctx, tl0, tg0, tp, tt, NULL));
    float *g = download(ctx, tg, n), *g1 = download(ctx, tg1, n), *g0 = download(ctx, tg0, n);
    float l, l1, l0, l2;
    CHECK_OK(d4j_tensor_download(ctx, &l, tl, 1));
    CHECK_OK(d4j_tensor_download(ctx, &l1, tl1, 1));
    CHECK_OK(d4j_tensor_download(ctx, &l0, tl0, 1));
    CHECK_OK(d4j_tensor_download(ctx, &l2, tl2, 1));
    double sum = 0;
    double* gref = malloc((size_t)n * sizeof(double));
    for (int64_t i = 0; i < n; i++) {
        double d = (double)p[i] - t[i];
        sum += (double)w[i / per] * d * d;
        gref[i] = 2.0 * w[i / per] * d / (double)n;
    }
    double lref = sum / (double)n;
    double el = fabs(l - lref) / lref, eg = rel_err(g, gref, n);
    CHECK(el < 1e-7, "%lld x %lld: weighted loss %.9g vs float64 %.9g", (long long)batch, (long long)per, l, lref);
    CHECK(eg < 1e-7, "%lld x %lld: weighted gradient relative error %.3g", (long long)batch, (long long)per, eg);
    CHECK(memcmp(&l, &l2, 4) == 0, "the loss without a gradient differs: %.9g vs %.9g", l2, l);
    CHECK(memcmp(&l1, &l0, 4) == 0, "weights of 1 give %.9g, unweighted %.9g", l1, l0);
    CHECK(memcmp(g1, g0, (size_t)n * 4) == 0, "weights of 1 change the gradient");
    int zero = 1;
    for (int64_t j = 0; j < per; j++) zero &= g[j] == 0.0f;
    CHECK(zero, "a sample of weight 0 has a gradient");
    printf("weighted mse %lld x %lld: loss rel err %.3g, gradient %.3g; weights 1 = unweighted bit for bit\n",
           (long long)batch, (long long)per, el, eg);
    free(p); free(t); free(w); free(ones); free(g); free(g1); free(g0); free(gref);
    d4j_tensor_free(tp); d4j_tensor_free(tt); d4j_tensor_free(tg); d4j_tensor_free(tl);
    d4j_tensor_free(tg1); d4j_tensor_free(tl1); d4j_tensor_free(tg0); d4j_tensor_free(tl0); d4j_tensor_free(tl2);
}

static void bad_weights(d4j_ctx* ctx) {
    int64_t shape[2] = {3, 5}, one[1] = {1};
    d4j_tensor *x = tensor_of(ctx, shape, 2, NULL), *y = tensor_of(ctx, shape, 2, NULL);
    d4j_tensor* loss = tensor_of(ctx, one, 1, NULL);
    float w[3] = {1, -0.5f, 1};
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "d4j_mse_loss: weights[1] is -0.5; it must be finite and >= 0",
                d4j_mse_loss(ctx, loss, NULL, x, y, w));
    w[1] = NAN;
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "weights[1] is nan", d4j_mse_loss(ctx, loss, NULL, x, y, w));
    w[1] = 1;
    w[2] = INFINITY;
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "weights[2] is inf", d4j_mse_loss(ctx, loss, NULL, x, y, w));
    d4j_tensor_free(x); d4j_tensor_free(y); d4j_tensor_free(loss);
}

int main(void) {
    d4j_ctx* ctx;
    CHECK_OK(d4j_ctx_create(&ctx, D4J_DEVICE_CPU, 0));
    int64_t s1[4] = {5, 3, 3, 2}, s2[2] = {2, 10001}, s3[4] = {64, 28, 28, 1}, s4[2] = {200, 3}, s5[1] = {7};
    weighted(ctx, s1, 4);
    weighted(ctx, s2, 2); /* samples span the fixed slices */
    weighted(ctx, s3, 4); /* the parallel path */
    weighted(ctx, s4, 2); /* slices span samples */
    weighted(ctx, s5, 1);
    bad_weights(ctx);
    CHECK_OK(d4j_ctx_free(ctx));
    return finish("test_mse_loss");
}
