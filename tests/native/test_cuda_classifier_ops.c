/*
 * test_cuda_classifier_ops.c — the CUDA backend against the CPU backend for the
 * feature network's ops: softmax cross-entropy (gradient bit for bit, each row
 * being the same shared function; the loss to float64 summation order, and with
 * the same bits on a second CUDA run; more rows than one launch's 256 labels) and
 * global average pooling forward and backward (bit for bit: pixels summed in
 * order on both). Skipped (exit 77, with the reason) where there is no GPU.
 */
#include <string.h>

#include "check.h"

/* loss twice and the gradient of the cross-entropy, the pooled map and its gradient, on ctx */
static void run(d4j_ctx* ctx, int64_t n, int64_t k, const float* logits, const int32_t* labels, int64_t h,
                int64_t c, const float* map, const float* dpooled, float* losses, float* g, float* pooled, float* dmap) {
    int64_t shape[2] = {n, k}, one[1] = {1}, m4[4] = {n, h, h, c}, p2[2] = {n, c};
    d4j_tensor *tx = tensor_of(ctx, shape, 2, logits), *tg = tensor_of(ctx, shape, 2, NULL);
    d4j_tensor *tl = tensor_of(ctx, one, 1, NULL), *tl2 = tensor_of(ctx, one, 1, NULL);
    d4j_tensor *tm = tensor_of(ctx, m4, 4, map), *tp = tensor_of(ctx, p2, 2, NULL);
    d4j_tensor *tdp = tensor_of(ctx, p2, 2, dpooled), *tdm = tensor_of(ctx, m4, 4, NULL);
    CHECK_OK(d4j_softmax_cross_entropy(ctx, tl, tg, tx, labels));
    CHECK_OK(d4j_softmax_cross_entropy(ctx, tl2, NULL, tx, labels));
    CHECK_OK(d4j_global_avg_pool_forward(ctx, tp, tm));
    CHECK_OK(d4j_global_avg_pool_backward(ctx, tdm, tdp));
    CHECK_OK(d4j_tensor_download(ctx, &losses[0], tl, 1));
    CHECK_OK(d4j_tensor_download(ctx, &losses[1], tl2, 1));
    CHECK_OK(d4j_tensor_download(ctx, g, tg, n * k));
    CHECK_OK(d4j_tensor_download(ctx, pooled, tp, n * c));
    CHECK_OK(d4j_tensor_download(ctx, dmap, tdm, n * h * h * c));
    d4j_tensor_free(tx); d4j_tensor_free(tg); d4j_tensor_free(tl); d4j_tensor_free(tl2);
    d4j_tensor_free(tm); d4j_tensor_free(tp); d4j_tensor_free(tdp); d4j_tensor_free(tdm);
}

static void compare(d4j_ctx* cpu, d4j_ctx* gpu, int64_t n, int64_t k, float scale, int64_t h, int64_t c) {
    int64_t nk = n * k, nc = n * c, map = n * h * h * c;
    float *x = malloc((size_t)nk * 4), *m = malloc((size_t)map * 4), *dp = malloc((size_t)nc * 4);
    int32_t* y = malloc((size_t)n * sizeof(int32_t));
    test_data(x, nk, 71);
    test_data(m, map, 72);
    test_data(dp, nc, 73);
    for (int64_t i = 0; i < nk; i++) x[i] *= scale;
    for (int64_t i = 0; i < n; i++) y[i] = (int32_t)((i * 31 + 5) % k);
    float lc[2], lg[2];
    float *gc = malloc((size_t)nk * 4), *gg = malloc((size_t)nk * 4), *pc = malloc((size_t)nc * 4);
    float *pg = malloc((size_t)nc * 4), *dc = malloc((size_t)map * 4), *dg = malloc((size_t)map * 4);
    run(cpu, n, k, x, y, h, c, m, dp, lc, gc, pc, dc);
    run(gpu, n, k, x, y, h, c, m, dp, lg, gg, pg, dg);
    double el = fabs((double)lc[0] - lg[0]) / fabs((double)lc[0]);
    CHECK(el < 1e-6, "%lld x %lld: loss CPU %.9g vs CUDA %.9g", (long long)n, (long long)k, lc[0], lg[0]);
    CHECK(memcmp(&lg[0], &lg[1], 4) == 0, "CUDA loss without a gradient %.9g, with %.9g", lg[1], lg[0]);
    CHECK(memcmp(gc, gg, (size_t)nk * 4) == 0, "%lld x %lld: the gradients differ between CPU and CUDA",
          (long long)n, (long long)k);
    CHECK(memcmp(pc, pg, (size_t)nc * 4) == 0, "%lldx%lldx%lldx%lld: pooled maps differ", (long long)n, (long long)h,
          (long long)h, (long long)c);
    CHECK(memcmp(dc, dg, (size_t)map * 4) == 0, "%lldx%lldx%lldx%lld: pooling gradients differ", (long long)n,
          (long long)h, (long long)h, (long long)c);
    printf("%lld x %lld (±%g): loss CPU %.9g CUDA %.9g; gradient, pooling %lldx%lldx%lldx%lld bit for bit: %s\n",
           (long long)n, (long long)k, scale, lc[0], lg[0], (long long)n, (long long)h, (long long)h, (long long)c,
           memcmp(gc, gg, (size_t)nk * 4) == 0 && memcmp(pc, pg, (size_t)nc * 4) == 0 ? "yes" : "no");
    free(x); free(m); free(dp); free(y); free(gc); free(gg); free(pc); free(pg); free(dc); free(dg);
}

int main(void) {
    int32_t count;
    CHECK_OK(d4j_cuda_device_count(&count));
    if (count == 0) {
        printf("test_cuda_classifier_ops skipped: no CUDA device visible\n");
        return 77;
    }
    d4j_ctx *cpu, *gpu;
    CHECK_OK(d4j_ctx_create(&cpu, D4J_DEVICE_CPU, 0));
    CHECK_OK(d4j_ctx_create(&gpu, D4J_DEVICE_CUDA, 0));
    compare(cpu, gpu, 7, 10, 1.0f, 7, 128);
    compare(cpu, gpu, 600, 10, 80.0f, 7, 64); /* three launches of labels */
    compare(cpu, gpu, 300, 1000, 8.0f, 1, 3);
    compare(cpu, gpu, 256, 1, 2.0f, 14, 32);
    /* a label out of range is refused before any launch */
    int64_t shape[2] = {2, 3}, one[1] = {1};
    d4j_tensor *x = tensor_of(gpu, shape, 2, NULL), *loss = tensor_of(gpu, one, 1, NULL);
    int32_t y[2] = {0, 3};
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "labels[1] is 3", d4j_softmax_cross_entropy(gpu, loss, NULL, x, y));
    d4j_tensor_free(x);
    d4j_tensor_free(loss);
    CHECK_OK(d4j_ctx_free(gpu));
    CHECK_OK(d4j_ctx_free(cpu));
    return finish("test_cuda_classifier_ops");
}
