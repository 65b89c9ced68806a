/*
 * vector_peaks.c — one core's multiply-add throughput per instruction kind, to
 * say which vector width and which bf16 instruction pay on this CPU:
 *   fp32 FMA on 8-float ymm and 16-float zmm (VFMADD231PS),
 *   bf16 dot products on ymm and zmm (VDPBF16PS: per float32 lane, the sum of a
 *   pair of bf16 products, so 4 flops per lane).
 * Sixteen independent accumulator chains per kind (more than latency × ports
 * on current x86 cores), nothing else in the loop, one thread. Built and run by
 * benchmarks/vector-peaks; kinds the CPU lacks are reported as absent.
 */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

#define CHAINS 16
#define ITER 50000000L

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static volatile float sink;

__attribute__((target("avx2,fma"))) static double fma_ymm(void) {
    __m256 c[CHAINS], a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < CHAINS; i++) c[i] = _mm256_set1_ps(0.01f * (float)(i + 1));
    double t = seconds();
    for (long it = 0; it < ITER; it++) {
#pragma GCC unroll 16
        for (int i = 0; i < CHAINS; i++) c[i] = _mm256_fmadd_ps(c[i], a, b);
    }
    t = seconds() - t;
    for (int i = 1; i < CHAINS; i++) c[0] = _mm256_add_ps(c[0], c[i]);
    sink = c[0][0];
    return 2.0 * 8 * CHAINS * ITER / t / 1e9;
}

__attribute__((target("avx512f"))) static double fma_zmm(void) {
    __m512 c[CHAINS], a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < CHAINS; i++) c[i] = _mm512_set1_ps(0.01f * (float)(i + 1));
    double t = seconds();
    for (long it = 0; it < ITER; it++) {
#pragma GCC unroll 16
        for (int i = 0; i < CHAINS; i++) c[i] = _mm512_fmadd_ps(c[i], a, b);
    }
    t = seconds() - t;
    for (int i = 1; i < CHAINS; i++) c[0] = _mm512_add_ps(c[0], c[i]);
    sink = _mm512_reduce_add_ps(c[0]);
    return 2.0 * 16 * CHAINS * ITER / t / 1e9;
}

__attribute__((target("avx512f,avx512bf16,avx512vl"))) static double dpbf16_ymm(void) {
    __m256 c[CHAINS];
    __m256bh a = (__m256bh)_mm256_set1_epi16(0x3f80), b = (__m256bh)_mm256_set1_epi16(0x2f80); /* 1, ~2.3e-10 */
    for (int i = 0; i < CHAINS; i++) c[i] = _mm256_set1_ps(0.01f * (float)(i + 1));
    double t = seconds();
    for (long it = 0; it < ITER; it++) {
#pragma GCC unroll 16
        for (int i = 0; i < CHAINS; i++) c[i] = _mm256_dpbf16_ps(c[i], a, b);
    }
    t = seconds() - t;
    for (int i = 1; i < CHAINS; i++) c[0] = _mm256_add_ps(c[0], c[i]);
    sink = c[0][0];
    return 4.0 * 8 * CHAINS * ITER / t / 1e9;
}

__attribute__((target("avx512f,avx512bf16"))) static double dpbf16_zmm(void) {
    __m512 c[CHAINS];
    __m512bh a = (__m512bh)_mm512_set1_epi16(0x3f80), b = (__m512bh)_mm512_set1_epi16(0x2f80);
    for (int i = 0; i < CHAINS; i++) c[i] = _mm512_set1_ps(0.01f * (float)(i + 1));
    double t = seconds();
    for (long it = 0; it < ITER; it++) {
#pragma GCC unroll 16
        for (int i = 0; i < CHAINS; i++) c[i] = _mm512_dpbf16_ps(c[i], a, b);
    }
    t = seconds() - t;
    for (int i = 1; i < CHAINS; i++) c[0] = _mm512_add_ps(c[0], c[i]);
    sink = _mm512_reduce_add_ps(c[0]);
    return 4.0 * 16 * CHAINS * ITER / t / 1e9;
}

int main(void) {
    __builtin_cpu_init();
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    int avx512 = __builtin_cpu_supports("avx512f");
    int bf16 = avx512 && __builtin_cpu_supports("avx512bf16");
    printf("| instruction | vector | GFLOP/s (one core) |\n|---|---|---|\n");
    if (avx2) printf("| fp32 FMA | ymm (8 floats) | %.1f |\n", fma_ymm());
    if (avx512) printf("| fp32 FMA | zmm (16 floats) | %.1f |\n", fma_zmm());
    if (bf16) printf("| bf16 VDPBF16PS | ymm (8 float sums of pairs) | %.1f |\n", dpbf16_ymm());
    if (bf16) printf("| bf16 VDPBF16PS | zmm (16 float sums of pairs) | %.1f |\n", dpbf16_zmm());
    if (!avx2) printf("(no AVX2+FMA on this CPU)\n");
    if (!avx512) printf("(no AVX-512 on this CPU)\n");
    else if (!bf16) printf("(no AVX-512 BF16 on this CPU)\n");
    return 0;
}
