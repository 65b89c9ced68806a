/*
 * test_keyed_noise.c — per-sample keyed noise (d4j_keyed_noise) against a
 * float64 Box-Muller reference built from the raw Philox words of the keying
 * d4j.h defines; a sample's rows are bit-identical in batches of 1, 8 and 64 at
 * other positions; other streams, ids and keys differ; the context's
 * (seed, offset) is untouched; bad inputs are named. Outputs poisoned with NaN.
 */
#include <string.h>

#include "check.h"

#define PI 3.14159265358979323846

/* z_j of the sample with `id`: normal j%4 of block (j/4, stream, lo(id), hi(id)) under key, in float64. */
static double ref_keyed(uint64_t key, uint32_t stream, int64_t id, int64_t j) {
    uint32_t ctr[4] = {(uint32_t)(j / 4), stream, (uint32_t)(uint64_t)id, (uint32_t)((uint64_t)id >> 32)};
    uint32_t k[2] = {(uint32_t)key, (uint32_t)(key >> 32)}, x[4];
    d4j_philox4x32_10(x, ctr, k);
    int pair = (int)(j % 4) / 2;
    double u1 = ((x[2 * pair] >> 8) + 1.0) / 16777216.0;
    double u2 = (x[2 * pair + 1] >> 8) / 16777216.0;
    double r = sqrt(-2.0 * log(u1));
    return (j % 2 == 0) ? r * cos(2 * PI * u2) : r * sin(2 * PI * u2);
}

static int64_t numel_of(const int64_t* shape, int nd) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    return n;
}

/* out = a x + b z (x or not) against the float64 reference. */
static void matches_reference(d4j_ctx* ctx, const int64_t* shape, int nd, int with_x) {
    int64_t n = numel_of(shape, nd), batch = shape[0], per = n / batch;
    const uint64_t key = 0x0123456789abcdefULL;
    const uint32_t stream = 7;
    const float a = with_x ? 0.75f : 0.0f, b = 1.5f;
    int64_t* ids = malloc((size_t)batch * sizeof(int64_t));
    for (int64_t s = 0; s < batch; s++) ids[s] = (int64_t)(s * 977 + 3) ^ (s % 3 == 1 ? INT64_MIN : 0); /* hi words too */
    float* x = malloc((size_t)n * sizeof(float));
    test_data(x, n, (uint32_t)n);
    d4j_tensor* tx = tensor_of(ctx, shape, nd, x);
    d4j_tensor* tout = tensor_of(ctx, shape, nd, NULL);
    uint64_t seed0, off0, seed1, off1;
    CHECK_OK(d4j_ctx_set_rng(ctx, 5, 123));
    CHECK_OK(d4j_ctx_rng(&seed0, &off0, ctx));
    CHECK_OK(d4j_keyed_noise(ctx, tout, with_x ? tx : NULL, a, b, key, stream, ids));
    CHECK_OK(d4j_ctx_rng(&seed1, &off1, ctx));
    CHECK(seed0 == seed1 && off0 == off1, "keyed noise moved the context's stream to (%llu, %llu)",
          (unsigned long long)seed1, (unsigned long long)off1);
    float* out = download(ctx, tout, n);
    double max_err = 0, sum = 0, sq = 0;
    for (int64_t i = 0; i < n; i++) {
        double z = ref_keyed(key, stream, ids[i / per], i % per);
        double ref = (with_x ? (double)a * x[i] : 0.0) + (double)b * z;
        double err = fabs(out[i] - ref) / fmax(1.0, fabs(ref));
        if (!(err <= max_err)) max_err = err; /* NaN-safe: an unwritten element fails */
        sum += z;
        sq += z * z;
    }
    CHECK(max_err < 3e-6, "%lld x %lld (x %s): max rel err vs float64 %.3g", (long long)batch, (long long)per,
          with_x ? "given" : "NULL", max_err);
    printf("keyed noise %lld x %lld, x %s: max rel err vs float64 %.3g\n", (long long)batch, (long long)per,
           with_x ? "given" : "NULL", max_err);
    if (n >= 100000) { /* the reference's z themselves are N(0, 1): a check on the reference */
        CHECK(fabs(sum / n) < 5.0 / sqrt((double)n) && fabs(sq / n - 1) < 0.02, "moments %g %g", sum / n, sq / n);
    }
    free(out);
    free(x);
    free(ids);
    d4j_tensor_free(tx);
    d4j_tensor_free(tout);
}

/* Noise of a batch whose sample `pos` has id 424242; returns that row. */
static float* row_in_batch(d4j_ctx* ctx, int64_t batch, int64_t pos, const int64_t* sample_shape, int snd,
                           uint32_t stream, uint64_t key, int64_t id) {
    int64_t shape[4] = {batch};
    for (int i = 0; i < snd; i++) shape[i + 1] = sample_shape[i];
    int64_t per = numel_of(sample_shape, snd);
    int64_t* ids = malloc((size_t)batch * sizeof(int64_t));
    for (int64_t s = 0; s < batch; s++) ids[s] = 1000 + 31 * s;
    ids[pos] = id;
    d4j_tensor* t = tensor_of(ctx, shape, snd + 1, NULL);
    CHECK_OK(d4j_keyed_noise(ctx, t, NULL, 0.0f, 1.0f, key, stream, ids));
    float* all = download(ctx, t, batch * per);
    float* row = malloc((size_t)per * sizeof(float));
    memcpy(row, all + pos * per, (size_t)per * sizeof(float));
    free(all);
    free(ids);
    d4j_tensor_free(t);
    return row;
}

static int64_t count_equal(const float* a, const float* b, int64_t n) {
    int64_t e = 0;
    for (int64_t i = 0; i < n; i++) e += memcmp(&a[i], &b[i], sizeof(float)) == 0;
    return e;
}

static void batch_invariance(d4j_ctx* ctx, const int64_t* sample_shape, int snd) {
    int64_t per = numel_of(sample_shape, snd);
    const uint64_t key = 99;
    float* r1 = row_in_batch(ctx, 1, 0, sample_shape, snd, 3, key, 424242);
    float* r8 = row_in_batch(ctx, 8, 5, sample_shape, snd, 3, key, 424242);
    float* r64 = row_in_batch(ctx, 64, 41, sample_shape, snd, 3, key, 424242);
    CHECK(count_equal(r1, r8, per) == per, "per_sample %lld: batch 8 position 5 differs from batch 1", (long long)per);
    CHECK(count_equal(r1, r64, per) == per, "per_sample %lld: batch 64 position 41 differs from batch 1",
          (long long)per);
    float* other_stream = row_in_batch(ctx, 8, 5, sample_shape, snd, 4, key, 424242);
    float* other_id = row_in_batch(ctx, 8, 5, sample_shape, snd, 3, key, 424243);
    float* other_key = row_in_batch(ctx, 8, 5, sample_shape, snd, 3, key + 1, 424242);
    float* other_hi = row_in_batch(ctx, 8, 5, sample_shape, snd, 3, key, 424242 + (INT64_C(1) << 32));
    /* unrelated normals coincide only by chance (2^-24 per element at most) */
    CHECK(count_equal(r1, other_stream, per) <= 1 + per / 1000, "another stream gives the same numbers");
    CHECK(count_equal(r1, other_id, per) <= 1 + per / 1000, "another id gives the same numbers");
    CHECK(count_equal(r1, other_key, per) <= 1 + per / 1000, "another key gives the same numbers");
    CHECK(count_equal(r1, other_hi, per) <= 1 + per / 1000, "the id's high word is ignored");
    printf("keyed noise per_sample %lld: rows bit-identical in batches 1, 8, 64; other stream/id/key differ\n",
           (long long)per);
    free(r1); free(r8); free(r64); free(other_stream); free(other_id); free(other_key); free(other_hi);
}

/* out = a·out + b·z in place. */
static void in_place(d4j_ctx* ctx) {
    int64_t shape[2] = {3, 37};
    float x[111], z[111];
    int64_t ids[3] = {9, 8, 7};
    test_data(x, 111, 4);
    d4j_tensor* t = tensor_of(ctx, shape, 2, x);
    d4j_tensor* tz = tensor_of(ctx, shape, 2, NULL);
    CHECK_OK(d4j_keyed_noise(ctx, tz, NULL, 0.0f, 1.0f, 1, 2, ids));
    CHECK_OK(d4j_keyed_noise(ctx, t, t, -2.0f, 0.5f, 1, 2, ids));
    float* got = download(ctx, t, 111);
    CHECK_OK(d4j_tensor_download(ctx, z, tz, 111));
    int exact = 1;
    for (int i = 0; i < 111; i++) exact &= got[i] == fmaf(-2.0f, x[i], 0.5f * z[i]);
    CHECK(exact, "in place: out = fmaf(a, x, b z) with the same z");
    free(got);
    d4j_tensor_free(t);
    d4j_tensor_free(tz);
}

static void bad_inputs(d4j_ctx* ctx) {
    int64_t shape[2] = {3, 5}, other[2] = {3, 6};
    int64_t ids[3] = {1, 2, 3};
    d4j_tensor* t = tensor_of(ctx, shape, 2, NULL);
    d4j_tensor* u = tensor_of(ctx, other, 2, NULL);
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "d4j_keyed_noise: ids is NULL; it must hold one id per sample of out (3)",
                d4j_keyed_noise(ctx, t, NULL, 0, 1, 0, 0, NULL));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "a is nan", d4j_keyed_noise(ctx, t, NULL, NAN, 1, 0, 0, ids));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "b is inf", d4j_keyed_noise(ctx, t, NULL, 0, INFINITY, 0, 0, ids));
    CHECK_FAILS(D4J_ERR_SHAPE, "x has shape [3, 6] but out has shape [3, 5]", d4j_keyed_noise(ctx, t, u, 1, 1, 0, 0, ids));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "tensor out is NULL", d4j_keyed_noise(ctx, NULL, NULL, 1, 1, 0, 0, ids));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "context is NULL", d4j_keyed_noise(NULL, t, NULL, 1, 1, 0, 0, ids));
    d4j_tensor_free(t);
    d4j_tensor_free(u);
}

int main(void) {
    d4j_ctx* ctx;
    CHECK_OK(d4j_ctx_create(&ctx, D4J_DEVICE_CPU, 0));
    int64_t s1[3] = {3, 5, 1}, s2[4] = {4, 7, 7, 3}, s3[2] = {2, 1}, s4[2] = {3, 1000}, s5[4] = {64, 28, 28, 1},
            s6[2] = {70, 3};
    for (int with_x = 0; with_x < 2; with_x++) {
        matches_reference(ctx, s1, 3, with_x);
        matches_reference(ctx, s2, 4, with_x);
        matches_reference(ctx, s3, 2, with_x);
        matches_reference(ctx, s4, 2, with_x);
        matches_reference(ctx, s5, 4, with_x); /* above the parallel threshold */
        matches_reference(ctx, s6, 2, with_x); /* tiles spanning many samples of 3 */
    }
    int64_t p1[2] = {5, 1}, p2[3] = {28, 28, 1}, p3[1] = {3};
    batch_invariance(ctx, p1, 2);
    batch_invariance(ctx, p2, 3); /* batch 64: the parallel path */
    batch_invariance(ctx, p3, 1);
    in_place(ctx);
    bad_inputs(ctx);
    CHECK_OK(d4j_ctx_free(ctx));
    return finish("test_keyed_noise");
}
