/*
 * fma_peak.c — the machine's multiply-add peak, measured: twelve independent
 * accumulator chains (enough to cover FMA latency × issue width on current x86
 * cores) of the widest vectors this build's kernels use — 16-float zmm in the
 * AVX-512 build (its GEMM tiles, gemm_tile.h and wgrad_tile.h, are zmm), 8-float
 * vectors elsewhere — nothing but FMAs in the loop, on every thread. Benchmarks
 * report convolution GFLOP/s as a fraction of this. On Intel cores with two
 * 512-bit FMA ports the zmm peak is about twice the ymm one; on Zen 4 they match.
 */
#include "../core/fma_peak.h"
#include "gemm_tile.h"

/* Where the chains' result goes, so the compiler must compute them. */
static volatile float sink;

#ifdef __AVX512F__
#include <immintrin.h>

double D4J_CPU(fma_peak)(int64_t iterations) {
    double flops = 0;
#pragma omp parallel reduction(+ : flops)
    {
        __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
        __m512 c[12];
        for (int i = 0; i < 12; i++) c[i] = _mm512_set1_ps(0.01f * (float)(i + 1)); /* distinct chains */
        for (int64_t it = 0; it < iterations; it++) {
#pragma GCC unroll 12
            for (int i = 0; i < 12; i++) c[i] = _mm512_fmadd_ps(c[i], a, b);
        }
        __m512 s = c[0];
        for (int i = 1; i < 12; i++) s = _mm512_add_ps(s, c[i]);
        sink = _mm512_reduce_add_ps(s);
        flops += 2.0 * 16 * 12 * (double)iterations;
    }
    return flops;
}
#else
double D4J_CPU(fma_peak)(int64_t iterations) {
    double flops = 0;
#pragma omp parallel reduction(+ : flops)
    {
        d4j_v8 a = d4j_v8_splat(0.999999f), b = d4j_v8_splat(1e-7f);
        /* distinct starting values, or the compiler merges identical chains */
        d4j_v8 c0 = d4j_v8_splat(0.01f), c1 = d4j_v8_splat(0.02f), c2 = d4j_v8_splat(0.03f), c3 = d4j_v8_splat(0.04f),
               c4 = d4j_v8_splat(0.05f), c5 = d4j_v8_splat(0.06f), c6 = d4j_v8_splat(0.07f), c7 = d4j_v8_splat(0.08f),
               c8 = d4j_v8_splat(0.09f), c9 = d4j_v8_splat(0.10f), c10 = d4j_v8_splat(0.11f), c11 = d4j_v8_splat(0.12f);
        for (int64_t i = 0; i < iterations; i++) {
            c0 = D4J_VFMA(c0, a, b); c1 = D4J_VFMA(c1, a, b); c2 = D4J_VFMA(c2, a, b); c3 = D4J_VFMA(c3, a, b);
            c4 = D4J_VFMA(c4, a, b); c5 = D4J_VFMA(c5, a, b); c6 = D4J_VFMA(c6, a, b); c7 = D4J_VFMA(c7, a, b);
            c8 = D4J_VFMA(c8, a, b); c9 = D4J_VFMA(c9, a, b); c10 = D4J_VFMA(c10, a, b); c11 = D4J_VFMA(c11, a, b);
        }
        d4j_v8 s = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
        float lane[8];
        __builtin_memcpy(lane, &s, sizeof lane);
        sink = lane[0] + lane[7];
        flops += 2.0 * 8 * 12 * (double)iterations;
    }
    return flops;
}
#endif
