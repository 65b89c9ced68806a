/*
 * conv_layer_times.c — best-of-REPS wall times of one convolution layer's forward, backward data
 * and weight gradient through the public C API on the CPU (the context's default algorithm,
 * D4J_CPU_ISA respected), with GFLOP/s of the direct-convolution count: a quick look at one
 * layer between JMH runs (the figures in results/ come from the JMH reports). Pad is K/2.
 *   bash benchmarks/conv-layer N H CIN COUT K STRIDE [REPS=20]
 * e.g. `bash benchmarks/conv-layer 128 28 96 32 1 1` is the U-Net's first up-path 1×1 skip at batch 128.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "d4j.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

#define TRY(call)                                                              \
    do {                                                                       \
        if ((call) != D4J_OK) {                                                \
            fprintf(stderr, "%s failed: %s\n", #call, d4j_last_error());      \
            return 1;                                                          \
        }                                                                      \
    } while (0)

int main(int argc, char** argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: %s N H CIN COUT K STRIDE [REPS]\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[1]), h = atoi(argv[2]), cin = atoi(argv[3]), cout = atoi(argv[4]), k = atoi(argv[5]),
        s = atoi(argv[6]), reps = argc > 7 ? atoi(argv[7]) : 20;
    if (n < 1 || h < 1 || cin < 1 || cout < 1 || k < 1 || s < 1 || reps < 1) {
        fprintf(stderr, "N H CIN COUT K STRIDE REPS must be positive integers\n");
        return 2;
    }
    int p = k / 2, ho = (h + 2 * p - k) / s + 1;
    d4j_ctx* ctx;
    TRY(d4j_ctx_create(&ctx, D4J_DEVICE_CPU, 0));
    int64_t sx[4] = {n, h, h, cin}, sw[4] = {k, k, cin, cout}, sy[4] = {n, ho, ho, cout}, sb[1] = {cout};
    d4j_tensor *x, *w, *b, *y, *dy, *dx, *dw, *db;
    TRY(d4j_tensor_create(ctx, &x, sx, 4));
    TRY(d4j_tensor_create(ctx, &dx, sx, 4));
    TRY(d4j_tensor_create(ctx, &w, sw, 4));
    TRY(d4j_tensor_create(ctx, &dw, sw, 4));
    TRY(d4j_tensor_create(ctx, &y, sy, 4));
    TRY(d4j_tensor_create(ctx, &dy, sy, 4));
    TRY(d4j_tensor_create(ctx, &b, sb, 1));
    TRY(d4j_tensor_create(ctx, &db, sb, 1));
    TRY(d4j_tensor_fill(ctx, x, 0.5f));
    TRY(d4j_tensor_fill(ctx, w, 0.01f));
    TRY(d4j_tensor_fill(ctx, b, 0.1f));
    TRY(d4j_tensor_fill(ctx, dy, 0.3f));
    TRY(d4j_tensor_fill(ctx, dw, 0.0f));
    TRY(d4j_tensor_fill(ctx, db, 0.0f));
    double flops = 2.0 * n * ho * ho * cin * cout * k * k, best[3] = {1e30, 1e30, 1e30};
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        TRY(d4j_conv2d_forward(ctx, y, x, w, b, s, p));
        double t1 = now();
        TRY(d4j_conv2d_backward_data(ctx, dx, dy, w, s, p));
        double t2 = now();
        TRY(d4j_conv2d_backward_weights(ctx, dw, db, dy, x, s, p));
        double t3 = now(), t[3] = {t1 - t0, t2 - t1, t3 - t2};
        for (int i = 0; i < 3; i++)
            if (t[i] < best[i]) best[i] = t[i];
    }
    printf("%dx%dx%d->%d k%d s%d (%s): fwd %.3f ms (%.0f GFLOP/s) bwd-data %.3f ms (%.0f) wgrad %.3f ms (%.0f)\n", n, h,
           cin, cout, k, s, d4j_cpu_isa(), best[0] * 1e3, flops / best[0] / 1e9, best[1] * 1e3, flops / best[1] / 1e9,
           best[2] * 1e3, flops / best[2] / 1e9);
    d4j_tensor* all[] = {x, dx, w, dw, y, dy, b, db};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) d4j_tensor_free(all[i]);
    d4j_ctx_free(ctx);
    return 0;
}
