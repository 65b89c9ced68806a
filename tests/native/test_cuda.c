/*
 * test_cuda.c — the CUDA backend against the CPU backend: Philox fills bit for
 * bit, q_sample to float32 rounding, transfers round-trip, device mismatches
 * rejected. Skipped (exit 77, with the reason) where there is no GPU.
 */
#include <string.h>

#include "check.h"

#define T 1000

static int64_t count_diff(const float* a, const float* b, int64_t n) {
    int64_t d = 0;
    for (int64_t i = 0; i < n; i++) d += memcmp(&a[i], &b[i], sizeof(float)) != 0;
    return d;
}

/* Runs fill_normal, fill_uniform and q_sample on ctx; returns host copies. */
static void run(d4j_ctx* ctx, const int64_t* shape, int nd, const float* x0, const int32_t* t, const float* ab,
                const float* b1, float* normal, float* uniform, float* xt, float* eps) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    d4j_tensor *tn, *tu, *tx0, *txt, *teps;
    CHECK_OK(d4j_tensor_create(ctx, &tn, shape, nd));
    CHECK_OK(d4j_tensor_create(ctx, &tu, shape, nd));
    CHECK_OK(d4j_tensor_create(ctx, &tx0, shape, nd));
    CHECK_OK(d4j_tensor_create(ctx, &txt, shape, nd));
    CHECK_OK(d4j_tensor_create(ctx, &teps, shape, nd));
    CHECK_OK(d4j_tensor_fill(ctx, txt, NAN));
    CHECK_OK(d4j_tensor_fill(ctx, teps, NAN));
    CHECK_OK(d4j_tensor_upload(ctx, tx0, x0, n));
    CHECK_OK(d4j_ctx_set_rng(ctx, 0xfeedbeefcafeULL, 3));
    CHECK_OK(d4j_fill_normal(ctx, tn, 0.5f, 2.0f));
    CHECK_OK(d4j_fill_uniform(ctx, tu, -1.0f, 1.0f));
    CHECK_OK(d4j_q_sample(ctx, txt, teps, tx0, t, ab, b1, shape[0], T));
    CHECK_OK(d4j_tensor_download(ctx, normal, tn, n));
    CHECK_OK(d4j_tensor_download(ctx, uniform, tu, n));
    CHECK_OK(d4j_tensor_download(ctx, xt, txt, n));
    CHECK_OK(d4j_tensor_download(ctx, eps, teps, n));
    d4j_tensor_free(tn); d4j_tensor_free(tu); d4j_tensor_free(tx0); d4j_tensor_free(txt); d4j_tensor_free(teps);
}

static void compare(d4j_ctx* cpu, d4j_ctx* gpu, const int64_t* shape, int nd) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    float ab[T], b1[T];
    double abar = 1;
    for (int i = 0; i < T; i++) {
        abar *= 1 - (1e-4 + (0.02 - 1e-4) * i / (T - 1));
        ab[i] = (float)sqrt(abar);
        b1[i] = (float)sqrt(1 - abar);
    }
    int32_t* t = malloc((size_t)shape[0] * sizeof(int32_t));
    for (int64_t s = 0; s < shape[0]; s++) t[s] = (int32_t)((s * 131 + 7) % T);
    float* x0 = malloc((size_t)n * sizeof(float));
    test_data(x0, n, 11);
    float* h[8];
    for (int i = 0; i < 8; i++) h[i] = malloc((size_t)n * sizeof(float));
    run(cpu, shape, nd, x0, t, ab, b1, h[0], h[1], h[2], h[3]);
    run(gpu, shape, nd, x0, t, ab, b1, h[4], h[5], h[6], h[7]);
    int64_t dn = count_diff(h[0], h[4], n), du = count_diff(h[1], h[5], n), de = count_diff(h[3], h[7], n);
    double num = 0, den = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = (double)h[2][i] - h[6][i];
        num += d * d;
        den += (double)h[2][i] * h[2][i];
        if (!(d == d)) num = INFINITY;
    }
    double rel = sqrt(num / den);
    CHECK(dn == 0, "n=%lld: %lld normals differ between CPU and CUDA", (long long)n, (long long)dn);
    CHECK(du == 0, "n=%lld: %lld uniforms differ between CPU and CUDA", (long long)n, (long long)du);
    CHECK(de == 0, "n=%lld: %lld q_sample eps differ between CPU and CUDA", (long long)n, (long long)de);
    CHECK(rel < 1e-7, "n=%lld: q_sample x_t CPU vs CUDA relative error %.3g", (long long)n, rel);
    printf("n=%lld: normals %lld, uniforms %lld, eps %lld differing bits; x_t rel err %.3g (%lld bit-identical)\n",
           (long long)n, (long long)dn, (long long)du, (long long)de, rel,
           (long long)(n - count_diff(h[2], h[6], n)));
    for (int i = 0; i < 8; i++) free(h[i]);
    free(x0);
    free(t);
}

int main(void) {
    int32_t built, count;
    CHECK_OK(d4j_cuda_built(&built));
    CHECK_OK(d4j_cuda_device_count(&count));
    if (count == 0) {
        printf("test_cuda skipped: no CUDA device visible (library built %s CUDA)\n", built ? "with" : "without");
        return 77;
    }
    char name[256];
    int64_t mem;
    CHECK_OK(d4j_cuda_device_info(name, &mem, 0, sizeof name));
    printf("CUDA device 0: %s, %.1f GiB\n", name, mem / 1073741824.0);
    d4j_ctx *cpu, *gpu;
    CHECK_OK(d4j_ctx_create(&cpu, D4J_DEVICE_CPU, 0));
    CHECK_OK(d4j_ctx_create(&gpu, D4J_DEVICE_CUDA, 0));
    void* stream = NULL;
    CHECK_OK(d4j_ctx_cuda_stream(&stream, gpu));
    CHECK(stream != NULL, "a CUDA context owns a stream");
    int64_t s1[4] = {3, 5, 7, 2}, s2[4] = {64, 32, 32, 1}, s3[4] = {300, 14, 14, 3}, s4[4] = {256, 64, 64, 3};
    compare(cpu, gpu, s1, 4);
    compare(cpu, gpu, s2, 4);
    compare(cpu, gpu, s3, 4); /* more samples than one launch's chunk */
    compare(cpu, gpu, s4, 4);

    /* a CPU tensor handed to a CUDA context is refused */
    int64_t four[1] = {4};
    d4j_tensor* host;
    CHECK_OK(d4j_tensor_create(cpu, &host, four, 1));
    CHECK_FAILS(D4J_ERR_DEVICE, "tensor dst is on cpu:0 but the context is on cuda:0",
                d4j_tensor_fill(gpu, host, 1.0f));
    d4j_tensor_free(host);
    CHECK_OK(d4j_ctx_synchronize(gpu));
    CHECK_OK(d4j_ctx_free(gpu));
    CHECK_OK(d4j_ctx_free(cpu));
    return finish("test_cuda");
}
