/*
 * check.h — a minimal test harness for the native tests: CHECK records a
 * failure and keeps going; main returns the failure count, or 77 (ctest's
 * SKIP_RETURN_CODE) when a test cannot run here, after printing why.
 */
#ifndef D4J_TEST_CHECK_H
#define D4J_TEST_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "d4j.h"

static int failures;
static int checks;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        checks++;                                                          \
        if (!(cond)) {                                                     \
            failures++;                                                    \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);         \
            printf(__VA_ARGS__);                                           \
            printf("\n");                                                  \
        }                                                                  \
    } while (0)

/* A call that must succeed; prints the native message if it does not. */
#define CHECK_OK(call)                                                                  \
    do {                                                                                \
        d4j_status st_ = (call);                                                        \
        CHECK(st_ == D4J_OK, "%s -> %s: %s", #call, d4j_status_name(st_), d4j_last_error()); \
    } while (0)

/* A call that must fail with `expected`, and whose message must name `needle`. */
#define CHECK_FAILS(expected, needle, call)                                             \
    do {                                                                                \
        d4j_status st_ = (call);                                                        \
        CHECK(st_ == (expected), "%s -> %s (wanted %s): %s", #call, d4j_status_name(st_), \
              d4j_status_name(expected), d4j_last_error());                            \
        CHECK(strstr(d4j_last_error(), (needle)) != NULL, "message '%s' lacks '%s'",    \
              d4j_last_error(), (needle));                                              \
    } while (0)

static inline int finish(const char* name) {
    printf("%s: %d checks, %d failed\n", name, checks, failures);
    return failures ? 1 : 0;
}

/* Deterministic non-zero test data: x_i in [-1, 1) from an LCG. */
static inline void test_data(float* x, int64_t n, uint32_t seed) {
    uint32_t s = seed * 2654435761u + 1u;
    for (int64_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)((double)(s >> 8) / 8388608.0 - 1.0);
        if (x[i] == 0.0f) x[i] = 0.5f;
    }
}

/* A tensor on ctx holding `data`, or poisoned with NaN when data is NULL (an unwritten element then shows). */
static inline d4j_tensor* tensor_of(d4j_ctx* ctx, const int64_t* shape, int nd, const float* data) {
    d4j_tensor* t = NULL;
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    CHECK_OK(d4j_tensor_create(ctx, &t, shape, nd));
    if (data) CHECK_OK(d4j_tensor_upload(ctx, t, data, n));
    else CHECK_OK(d4j_tensor_fill(ctx, t, NAN));
    return t;
}

/* A malloc'd host copy of t's n elements. */
static inline float* download(d4j_ctx* ctx, const d4j_tensor* t, int64_t n) {
    float* out = malloc((size_t)n * sizeof(float));
    CHECK_OK(d4j_tensor_download(ctx, out, t, n));
    return out;
}

/* ‖a − ref‖ / ‖ref‖; infinite when a holds a NaN (an unwritten element). */
static inline double rel_err(const float* a, const double* ref, int64_t n) {
    double num = 0, den = 0;
    for (int64_t i = 0; i < n; i++) {
        if (a[i] != a[i]) return INFINITY;
        num += (a[i] - ref[i]) * (a[i] - ref[i]);
        den += ref[i] * ref[i];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

#endif /* D4J_TEST_CHECK_H */
