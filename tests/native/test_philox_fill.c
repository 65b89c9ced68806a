/*
 * test_philox_fill.c — Philox4x32-10 against the Random123 known-answer vectors,
 * and the normal/uniform fills against a float64 Box-Muller reference built
 * from the raw Philox words, plus their moments and the offset bookkeeping.
 */
#include <string.h>

#include "check.h"
#include "../../native/src/core/philox.h" /* the scalar functions CUDA runs */

#define PI 3.14159265358979323846

static void kat(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1, uint32_t r0,
                uint32_t r1, uint32_t r2, uint32_t r3) {
    uint32_t ctr[4] = {c0, c1, c2, c3}, key[2] = {k0, k1}, out[4];
    CHECK_OK(d4j_philox4x32_10(out, ctr, key));
    CHECK(out[0] == r0 && out[1] == r1 && out[2] == r2 && out[3] == r3,
          "philox(%08x..) = %08x %08x %08x %08x, want %08x %08x %08x %08x", c0, out[0], out[1], out[2], out[3], r0,
          r1, r2, r3);
}

/* The words of element stream block `block` under `seed`, as d4j.h defines. */
static void raw_block(uint32_t out[4], uint64_t seed, uint64_t block) {
    uint32_t ctr[4] = {(uint32_t)block, (uint32_t)(block >> 32), 0, 0};
    uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    d4j_philox4x32_10(out, ctr, key);
}

static double ref_normal(uint64_t seed, uint64_t offset, int64_t i) {
    uint32_t x[4];
    raw_block(x, seed, offset + (uint64_t)(i / 4));
    int pair = (int)(i % 4) / 2;
    double u1 = ((x[2 * pair] >> 8) + 1.0) / 16777216.0;
    double u2 = (x[2 * pair + 1] >> 8) / 16777216.0;
    double r = sqrt(-2.0 * log(u1));
    return (i % 2 == 0) ? r * cos(2 * PI * u2) : r * sin(2 * PI * u2);
}

static void normal_matches_reference(d4j_ctx* ctx, int64_t n, uint64_t seed, uint64_t offset) {
    d4j_tensor* t;
    CHECK_OK(d4j_tensor_create(ctx, &t, &n, 1));
    float* out = malloc((size_t)n * sizeof(float));
    CHECK_OK(d4j_ctx_set_rng(ctx, seed, offset));
    CHECK_OK(d4j_fill_normal(ctx, t, 0.0f, 1.0f));
    CHECK_OK(d4j_tensor_download(ctx, out, t, n));
    double max_err = 0;
    for (int64_t i = 0; i < n; i++) {
        double ref = ref_normal(seed, offset, i);
        double err = fabs(out[i] - ref) / fmax(1.0, fabs(ref));
        if (!(err <= max_err)) max_err = err; /* NaN-safe */
    }
    CHECK(max_err < 2e-6, "n=%lld: normal vs float64 Box-Muller max rel err %.3g", (long long)n, max_err);
    uint64_t s, o;
    CHECK_OK(d4j_ctx_rng(&s, &o, ctx));
    CHECK(s == seed && o == offset + (uint64_t)((n + 3) / 4), "offset advanced to %llu", (unsigned long long)o);
    printf("normal n=%lld max rel err vs float64 %.3g\n", (long long)n, max_err);
    free(out);
    d4j_tensor_free(t);
}

/* The CPU fill (vectorized, structure-of-arrays) gives exactly the bits of the
 * shared scalar d4j_philox_normal4, which the CUDA kernels call. */
static void normal_equals_shared_scalar(d4j_ctx* ctx, int64_t n, uint64_t seed, uint64_t offset) {
    d4j_tensor* t;
    CHECK_OK(d4j_tensor_create(ctx, &t, &n, 1));
    float* out = malloc((size_t)n * sizeof(float));
    CHECK_OK(d4j_ctx_set_rng(ctx, seed, offset));
    CHECK_OK(d4j_fill_normal(ctx, t, 0.0f, 1.0f));
    CHECK_OK(d4j_tensor_download(ctx, out, t, n));
    int64_t differ = 0;
    for (int64_t i = 0; i < n; i++) {
        float z[4];
        d4j_philox_normal4(z, seed, offset + (uint64_t)(i / 4));
        differ += memcmp(&z[i % 4], &out[i], sizeof(float)) != 0;
    }
    CHECK(differ == 0, "n=%lld: %lld normals differ from the shared scalar function", (long long)n, (long long)differ);
    free(out);
    d4j_tensor_free(t);
}

static void uniform_is_exact(d4j_ctx* ctx, int64_t n) {
    d4j_tensor* t;
    CHECK_OK(d4j_tensor_create(ctx, &t, &n, 1));
    float* out = malloc((size_t)n * sizeof(float));
    CHECK_OK(d4j_ctx_set_rng(ctx, 77, 5));
    CHECK_OK(d4j_fill_uniform(ctx, t, -2.0f, 3.0f));
    CHECK_OK(d4j_tensor_download(ctx, out, t, n));
    int64_t bad = 0;
    for (int64_t i = 0; i < n; i++) {
        uint32_t x[4];
        raw_block(x, 77, 5 + (uint64_t)(i / 4));
        float u = (float)(x[i % 4] >> 8) / 16777216.0f;
        float want = fmaf(u, 5.0f, -2.0f);
        if (out[i] != want || out[i] < -2.0f || out[i] >= 3.0f) bad++;
    }
    CHECK(bad == 0, "uniform n=%lld: %lld elements differ from the exact transform", (long long)n, (long long)bad);
    free(out);
    d4j_tensor_free(t);
}

static void moments(d4j_ctx* ctx) {
    int64_t n = 1 << 20;
    d4j_tensor* t;
    CHECK_OK(d4j_tensor_create(ctx, &t, &n, 1));
    float* out = malloc((size_t)n * sizeof(float));
    CHECK_OK(d4j_ctx_set_rng(ctx, 1234, 0));
    CHECK_OK(d4j_fill_normal(ctx, t, 2.0f, 3.0f));
    CHECK_OK(d4j_tensor_download(ctx, out, t, n));
    double sum = 0, sq = 0, kurt = 0;
    for (int64_t i = 0; i < n; i++) sum += out[i];
    double mean = sum / n;
    for (int64_t i = 0; i < n; i++) {
        double d = out[i] - mean;
        sq += d * d;
        kurt += d * d * d * d;
    }
    double var = sq / (n - 1), k = kurt / n / (var * var);
    /* standard errors: mean 3/1024 = 0.0029, var 9*sqrt(2/n) = 0.0124, kurtosis sqrt(24/n) = 0.0048 */
    CHECK(fabs(mean - 2.0) < 0.015, "mean %.5f, want 2", mean);
    CHECK(fabs(var - 9.0) < 0.07, "variance %.5f, want 9", var);
    CHECK(fabs(k - 3.0) < 0.03, "kurtosis %.5f, want 3", k);
    printf("N(2, 9) over 2^20 draws: mean %.5f variance %.5f kurtosis %.5f\n", mean, var, k);
    free(out);
    d4j_tensor_free(t);
}

/* Two fills of 8 use the same numbers as one fill of 16: the offset is a stream position. */
static void offsets_compose(d4j_ctx* ctx) {
    int64_t n8 = 8, n16 = 16;
    d4j_tensor *a, *b, *c;
    CHECK_OK(d4j_tensor_create(ctx, &a, &n8, 1));
    CHECK_OK(d4j_tensor_create(ctx, &b, &n8, 1));
    CHECK_OK(d4j_tensor_create(ctx, &c, &n16, 1));
    float va[8], vb[8], vc[16];
    CHECK_OK(d4j_ctx_set_rng(ctx, 9, 100));
    CHECK_OK(d4j_fill_normal(ctx, a, 0, 1));
    CHECK_OK(d4j_fill_normal(ctx, b, 0, 1));
    CHECK_OK(d4j_ctx_set_rng(ctx, 9, 100));
    CHECK_OK(d4j_fill_normal(ctx, c, 0, 1));
    CHECK_OK(d4j_tensor_download(ctx, va, a, 8));
    CHECK_OK(d4j_tensor_download(ctx, vb, b, 8));
    CHECK_OK(d4j_tensor_download(ctx, vc, c, 16));
    CHECK(memcmp(va, vc, sizeof va) == 0 && memcmp(vb, vc + 8, sizeof vb) == 0, "8 + 8 != 16");
    d4j_tensor_free(a);
    d4j_tensor_free(b);
    d4j_tensor_free(c);
}

int main(void) {
    /* Random123 kat_vectors, philox4x32 10 rounds */
    kat(0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8);
    kat(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d, 0x41c83b0e,
        0xa20bc7c6, 0x6d5451fd);
    kat(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09, 0x94fdcceb,
        0x5001e420, 0x24126ea1);

    d4j_ctx* ctx;
    CHECK_OK(d4j_ctx_create(&ctx, D4J_DEVICE_CPU, 0));
    printf("CPU kernels: %s\n", d4j_cpu_isa());
    int64_t sizes[] = {1, 7, 256, 1000, 65537, 1 << 20};
    for (int i = 0; i < 6; i++) normal_matches_reference(ctx, sizes[i], 0x123456789abcdefULL, (uint64_t)i * 1000);
    normal_matches_reference(ctx, 4096, 42, 0xffffff00ULL); /* counter carries into the high word */
    normal_equals_shared_scalar(ctx, 100001, 0xabcdef12345ULL, 77);
    normal_equals_shared_scalar(ctx, 5, 3, 0xffffffffULL);
    uniform_is_exact(ctx, 7);
    uniform_is_exact(ctx, 100003);
    moments(ctx);
    offsets_compose(ctx);
    CHECK_OK(d4j_ctx_free(ctx));
    return finish("test_philox_fill");
}
