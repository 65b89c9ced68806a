/*
 * test_classifier_ops.c — the feature network's ops against float64 loops:
 * softmax cross-entropy (loss and gradient; K = 1, 10, 1000; logits of ±80; the
 * gradient in place over the logits; the loss with and without a gradient and on
 * a second run has the same bits) and global average pooling forward and backward;
 * bad labels and shapes named. Outputs poisoned with NaN.
 */
#include <string.h>

#include "check.h"

static void cross_entropy(d4j_ctx* ctx, int64_t n, int64_t k, float scale) {
    int64_t shape[2] = {n, k}, one[1] = {1}, numel = n * k;
    float* x = malloc((size_t)numel * 4);
    int32_t* y = malloc((size_t)n * sizeof(int32_t));
    test_data(x, numel, (uint32_t)(n * 7 + k));
    for (int64_t i = 0; i < numel; i++) x[i] *= scale;
    for (int64_t i = 0; i < n; i++) y[i] = (int32_t)((i * 7919 + 3) % k);
    d4j_tensor *tx = tensor_of(ctx, shape, 2, x), *tg = tensor_of(ctx, shape, 2, NULL);
    d4j_tensor *tl = tensor_of(ctx, one, 1, NULL), *tl2 = tensor_of(ctx, one, 1, NULL), *tl3 = tensor_of(ctx, one, 1, NULL);
    d4j_tensor *tin = tensor_of(ctx, shape, 2, x), *tl4 = tensor_of(ctx, one, 1, NULL);
    CHECK_OK(d4j_softmax_cross_entropy(ctx, tl, tg, tx, y));
    CHECK_OK(d4j_softmax_cross_entropy(ctx, tl2, NULL, tx, y));
    CHECK_OK(d4j_softmax_cross_entropy(ctx, tl3, tg, tx, y));
    CHECK_OK(d4j_softmax_cross_entropy(ctx, tl4, tin, tin, y)); /* the gradient over the logits */
    float *g = download(ctx, tg, numel), *gin = download(ctx, tin, numel);
    float l, l2, l3, l4;
    CHECK_OK(d4j_tensor_download(ctx, &l, tl, 1));
    CHECK_OK(d4j_tensor_download(ctx, &l2, tl2, 1));
    CHECK_OK(d4j_tensor_download(ctx, &l3, tl3, 1));
    CHECK_OK(d4j_tensor_download(ctx, &l4, tl4, 1));
    double* gref = malloc((size_t)numel * sizeof(double));
    double sum = 0;
    for (int64_t r = 0; r < n; r++) {
        const float* row = x + r * k;
        double m = row[0], s = 0;
        for (int64_t j = 1; j < k; j++) m = row[j] > m ? row[j] : m;
        for (int64_t j = 0; j < k; j++) s += exp((double)row[j] - m);
        sum += m + log(s) - row[y[r]];
        for (int64_t j = 0; j < k; j++) gref[r * k + j] = (exp((double)row[j] - m) / s - (j == y[r])) / (double)n;
    }
    double lref = sum / (double)n;
    double el = lref > 0 ? fabs(l - lref) / lref : fabs(l - lref), eg = rel_err(g, gref, numel);
    CHECK(el < 1e-6, "%lld x %lld (scale %g): loss %.9g vs float64 %.9g", (long long)n, (long long)k, scale, l, lref);
    CHECK(eg < 1e-6, "%lld x %lld (scale %g): gradient relative error %.3g", (long long)n, (long long)k, scale, eg);
    CHECK(memcmp(&l, &l2, 4) == 0, "the loss without a gradient differs: %.9g vs %.9g", l2, l);
    CHECK(memcmp(&l, &l3, 4) == 0, "a second run gives %.9g, the first %.9g", l3, l);
    CHECK(memcmp(&l, &l4, 4) == 0 && memcmp(g, gin, (size_t)numel * 4) == 0, "the gradient in place differs");
    printf("softmax cross-entropy %lld x %lld, logits within ±%g: loss %.6g, rel err %.3g; gradient %.3g\n",
           (long long)n, (long long)k, scale, l, el, eg);
    free(x); free(y); free(g); free(gin); free(gref);
    d4j_tensor_free(tx); d4j_tensor_free(tg); d4j_tensor_free(tl); d4j_tensor_free(tl2); d4j_tensor_free(tl3);
    d4j_tensor_free(tin); d4j_tensor_free(tl4);
}

static void cross_entropy_refusals(d4j_ctx* ctx) {
    int64_t shape[2] = {3, 10}, bad[2] = {3, 9}, cube[3] = {3, 10, 1}, one[1] = {1}, two[1] = {2};
    d4j_tensor *x = tensor_of(ctx, shape, 2, NULL), *g = tensor_of(ctx, bad, 2, NULL), *x3 = tensor_of(ctx, cube, 3, NULL);
    d4j_tensor *loss = tensor_of(ctx, one, 1, NULL), *loss2 = tensor_of(ctx, two, 1, NULL);
    CHECK_OK(d4j_tensor_fill(ctx, x, 0.5f));
    int32_t y[3] = {0, 10, 2};
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "d4j_softmax_cross_entropy: labels[1] is 10; it must be in [0, 10)",
                d4j_softmax_cross_entropy(ctx, loss, NULL, x, y));
    y[1] = -1;
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "labels[1] is -1", d4j_softmax_cross_entropy(ctx, loss, NULL, x, y));
    y[1] = 9;
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "labels is NULL", d4j_softmax_cross_entropy(ctx, loss, NULL, x, NULL));
    CHECK_FAILS(D4J_ERR_SHAPE, "logits has shape [3, 10, 1]; it must be (N, K)",
                d4j_softmax_cross_entropy(ctx, loss, NULL, x3, y));
    CHECK_FAILS(D4J_ERR_SHAPE, "loss has shape [2]; it must hold one element",
                d4j_softmax_cross_entropy(ctx, loss2, NULL, x, y));
    CHECK_FAILS(D4J_ERR_SHAPE, "dlogits has shape [3, 9] but logits has shape [3, 10]",
                d4j_softmax_cross_entropy(ctx, loss, g, x, y));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "", d4j_softmax_cross_entropy(ctx, NULL, NULL, x, y));
    float back;
    CHECK_OK(d4j_tensor_download(ctx, &back, loss, 1));
    CHECK(back != back, "a refused call wrote the loss: %g", back);
    d4j_tensor_free(x); d4j_tensor_free(g); d4j_tensor_free(x3); d4j_tensor_free(loss); d4j_tensor_free(loss2);
}

static void avg_pool(d4j_ctx* ctx, int64_t n, int64_t h, int64_t w, int64_t c) {
    int64_t map[4] = {n, h, w, c}, pooled[2] = {n, c}, p = h * w, numel = n * p * c;
    float *x = malloc((size_t)numel * 4), *dy = malloc((size_t)(n * c) * 4);
    test_data(x, numel, 61);
    test_data(dy, n * c, 62);
    d4j_tensor *tx = tensor_of(ctx, map, 4, x), *ty = tensor_of(ctx, pooled, 2, NULL);
    d4j_tensor *tdy = tensor_of(ctx, pooled, 2, dy), *tdx = tensor_of(ctx, map, 4, NULL);
    CHECK_OK(d4j_global_avg_pool_forward(ctx, ty, tx));
    CHECK_OK(d4j_global_avg_pool_backward(ctx, tdx, tdy));
    float *y = download(ctx, ty, n * c), *dx = download(ctx, tdx, numel);
    double *yref = calloc((size_t)(n * c), sizeof(double)), *dxref = malloc((size_t)numel * sizeof(double));
    for (int64_t i = 0; i < numel; i++) {
        int64_t s = i / (p * c), ch = i % c;
        yref[s * c + ch] += x[i] / (double)p;
        dxref[i] = dy[s * c + ch] / (double)p;
    }
    double ey = rel_err(y, yref, n * c), edx = rel_err(dx, dxref, numel);
    CHECK(ey < 1e-6, "%lldx%lldx%lldx%lld: pooled relative error %.3g", (long long)n, (long long)h, (long long)w,
          (long long)c, ey);
    CHECK(edx < 1e-7, "%lldx%lldx%lldx%lld: gradient relative error %.3g", (long long)n, (long long)h, (long long)w,
          (long long)c, edx);
    printf("global average pool %lldx%lldx%lldx%lld: forward rel err %.3g, backward %.3g\n", (long long)n,
           (long long)h, (long long)w, (long long)c, ey, edx);
    free(x); free(dy); free(y); free(dx); free(yref); free(dxref);
    d4j_tensor_free(tx); d4j_tensor_free(ty); d4j_tensor_free(tdy); d4j_tensor_free(tdx);
}

static void avg_pool_refusals(d4j_ctx* ctx) {
    int64_t map[4] = {2, 3, 3, 4}, flat[3] = {2, 9, 4}, pooled[2] = {2, 4}, wrong_c[2] = {2, 5}, wrong_n[2] = {3, 4};
    d4j_tensor *x = tensor_of(ctx, map, 4, NULL), *x3 = tensor_of(ctx, flat, 3, NULL), *y = tensor_of(ctx, pooled, 2, NULL);
    d4j_tensor *yc = tensor_of(ctx, wrong_c, 2, NULL), *yn = tensor_of(ctx, wrong_n, 2, NULL);
    CHECK_FAILS(D4J_ERR_SHAPE, "d4j_global_avg_pool_forward: x has shape [2, 9, 4]; it must be (N, H, W, C)",
                d4j_global_avg_pool_forward(ctx, y, x3));
    CHECK_FAILS(D4J_ERR_SHAPE, "y has shape [2, 5]; it must be (N, C) = [2, 4] for x [2, 3, 3, 4]",
                d4j_global_avg_pool_forward(ctx, yc, x));
    CHECK_FAILS(D4J_ERR_SHAPE, "y has shape [3, 4]; it must be (N, C) = [2, 4]", d4j_global_avg_pool_forward(ctx, yn, x));
    CHECK_FAILS(D4J_ERR_SHAPE, "d4j_global_avg_pool_backward: dy has shape [2, 5]; it must be (N, C) = [2, 4] for dx",
                d4j_global_avg_pool_backward(ctx, x, yc));
    CHECK_FAILS(D4J_ERR_SHAPE, "dx has shape [2, 9, 4]", d4j_global_avg_pool_backward(ctx, x3, y));
    d4j_tensor_free(x); d4j_tensor_free(x3); d4j_tensor_free(y); d4j_tensor_free(yc); d4j_tensor_free(yn);
}

int main(void) {
    d4j_ctx* ctx;
    CHECK_OK(d4j_ctx_create(&ctx, D4J_DEVICE_CPU, 0));
    cross_entropy(ctx, 7, 10, 1.0f);
    cross_entropy(ctx, 256, 10, 4.0f);
    cross_entropy(ctx, 64, 10, 80.0f); /* logits within ±80: exp(x) alone would overflow */
    cross_entropy(ctx, 5, 1, 3.0f);    /* one class: loss 0, gradient 0 */
    cross_entropy(ctx, 300, 1000, 8.0f); /* the parallel path; rows split across the fixed slices */
    cross_entropy(ctx, 1, 3, 80.0f);
    cross_entropy_refusals(ctx);
    avg_pool(ctx, 2, 7, 7, 128);
    avg_pool(ctx, 3, 1, 1, 5);
    avg_pool(ctx, 1, 5, 3, 2);
    avg_pool(ctx, 64, 7, 7, 128); /* the parallel path */
    avg_pool_refusals(ctx);
    CHECK_OK(d4j_ctx_free(ctx));
    return finish("test_classifier_ops");
}
