/*
 * gemm_tile.h — the register-blocked micro-kernel behind convolutions and
 * linear layers (CPU): a 6×16 tile of C held in twelve 8-float accumulators,
 * C[i][0:16] (+)= Σ_taps Σ_k a_tap_i[k] · B_tap[k][0:16].
 * A is never packed: each of the 6 rows reads its own pointer per tap (an
 * input pixel of NHWC data, or a zero row for padding), so an implicit-GEMM
 * convolution needs no im2col. B is packed: per tap, kt rows of 16 floats,
 * zero-padded past the real columns, 32-byte aligned.
 * Vectors are GCC vector extensions; in the AVX2 build they become ymm
 * registers and VFMA becomes vfmadd, in the generic build SSE pairs.
 */
#ifndef D4J_CPU_GEMM_TILE_H
#define D4J_CPU_GEMM_TILE_H

#include <stdint.h>
#include <string.h>
#ifdef __FMA__
#include <immintrin.h>
#endif

typedef float d4j_v8 __attribute__((vector_size(32), aligned(32)));
typedef float d4j_v8u __attribute__((vector_size(32), aligned(4)));

#ifdef __FMA__
#define D4J_VFMA(a, b, c) ((d4j_v8)_mm256_fmadd_ps((__m256)(a), (__m256)(b), (__m256)(c)))
#else
#define D4J_VFMA(a, b, c) ((a) * (b) + (c))
#endif

#define D4J_TILE_M 6
#define D4J_TILE_N 16

/* x in every lane (a macro: a function returning a vector warns of ABI in the generic build) */
#define d4j_v8_splat(x)                                       \
    ({                                                        \
        float d4j_splat_ = (x);                               \
        (d4j_v8){d4j_splat_, d4j_splat_, d4j_splat_, d4j_splat_, \
                 d4j_splat_, d4j_splat_, d4j_splat_, d4j_splat_}; \
    })

#ifdef __AVX512F__
/*
 * The AVX-512 build's tile: a row of 16 columns is one 16-float zmm, and each
 * of the 6 rows keeps two accumulators, one for even and one for odd k, summed
 * at the end. Twelve independent FMA chains cover the FMA latency × the two
 * 512-bit FMA ports of Intel cores (six chains would stall on latency); there a
 * zmm FMA does twice a ymm FMA's work per cycle. On Zen 4 a zmm FMA is two
 * 256-bit halves, so the tile costs the same as the twelve ymm chains below.
 * Same arguments, same packed B; only the summation order of k differs.
 */
static inline void d4j_tile_6x16(int taps, const float* const* a, int64_t kt, const float* b, float* const* c,
                                 int rows, int cols, const float* init, int mode) {
    __m512 e0, e1, e2, e3, e4, e5, o0, o1, o2, o3, o4, o5;
    e0 = e1 = e2 = e3 = e4 = e5 = init ? _mm512_loadu_ps(init) : _mm512_setzero_ps();
    o0 = o1 = o2 = o3 = o4 = o5 = _mm512_setzero_ps();
    for (int t = 0; t < taps; t++) {
        const float* a0 = a[t * 6 + 0];
        const float* a1 = a[t * 6 + 1];
        const float* a2 = a[t * 6 + 2];
        const float* a3 = a[t * 6 + 3];
        const float* a4 = a[t * 6 + 4];
        const float* a5 = a[t * 6 + 5];
        const float* bt = b + (int64_t)t * kt * 16;
        int64_t k = 0;
        for (; k + 2 <= kt; k += 2) {
            __m512 be = _mm512_loadu_ps(bt + 16 * k), bo = _mm512_loadu_ps(bt + 16 * k + 16);
            e0 = _mm512_fmadd_ps(_mm512_set1_ps(a0[k]), be, e0); o0 = _mm512_fmadd_ps(_mm512_set1_ps(a0[k + 1]), bo, o0);
            e1 = _mm512_fmadd_ps(_mm512_set1_ps(a1[k]), be, e1); o1 = _mm512_fmadd_ps(_mm512_set1_ps(a1[k + 1]), bo, o1);
            e2 = _mm512_fmadd_ps(_mm512_set1_ps(a2[k]), be, e2); o2 = _mm512_fmadd_ps(_mm512_set1_ps(a2[k + 1]), bo, o2);
            e3 = _mm512_fmadd_ps(_mm512_set1_ps(a3[k]), be, e3); o3 = _mm512_fmadd_ps(_mm512_set1_ps(a3[k + 1]), bo, o3);
            e4 = _mm512_fmadd_ps(_mm512_set1_ps(a4[k]), be, e4); o4 = _mm512_fmadd_ps(_mm512_set1_ps(a4[k + 1]), bo, o4);
            e5 = _mm512_fmadd_ps(_mm512_set1_ps(a5[k]), be, e5); o5 = _mm512_fmadd_ps(_mm512_set1_ps(a5[k + 1]), bo, o5);
        }
        if (k < kt) {
            __m512 be = _mm512_loadu_ps(bt + 16 * k);
            e0 = _mm512_fmadd_ps(_mm512_set1_ps(a0[k]), be, e0);
            e1 = _mm512_fmadd_ps(_mm512_set1_ps(a1[k]), be, e1);
            e2 = _mm512_fmadd_ps(_mm512_set1_ps(a2[k]), be, e2);
            e3 = _mm512_fmadd_ps(_mm512_set1_ps(a3[k]), be, e3);
            e4 = _mm512_fmadd_ps(_mm512_set1_ps(a4[k]), be, e4);
            e5 = _mm512_fmadd_ps(_mm512_set1_ps(a5[k]), be, e5);
        }
    }
    __m512 acc[6] = {_mm512_add_ps(e0, o0), _mm512_add_ps(e1, o1), _mm512_add_ps(e2, o2),
                     _mm512_add_ps(e3, o3), _mm512_add_ps(e4, o4), _mm512_add_ps(e5, o5)};
    __mmask16 m = (__mmask16)((1u << cols) - 1u);
    for (int i = 0; i < rows; i++) {
        __m512 v = mode ? _mm512_add_ps(_mm512_maskz_loadu_ps(m, c[i]), acc[i]) : acc[i];
        _mm512_mask_storeu_ps(c[i], m, v);
    }
}
#else
/*
 * a:    taps × 6 row pointers (a[t*6 + i] = row i's data for tap t, kt floats)
 * b:    packed B, taps × kt × 16
 * c:    6 row pointers into C, each at the tile's first column
 * init: 16 floats added to every row (bias), or NULL
 * mode: 0 = store, 1 = add to C
 */
static inline void d4j_tile_6x16(int taps, const float* const* a, int64_t kt, const float* b, float* const* c,
                                 int rows, int cols, const float* init, int mode) {
    d4j_v8 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    if (init) {
        d4j_v8 i0 = *(const d4j_v8u*)init, i1 = *(const d4j_v8u*)(init + 8);
        c00 = c10 = c20 = c30 = c40 = c50 = i0;
        c01 = c11 = c21 = c31 = c41 = c51 = i1;
    } else {
        c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = d4j_v8_splat(0.0f);
    }
    for (int t = 0; t < taps; t++) {
        const float* a0 = a[t * 6 + 0];
        const float* a1 = a[t * 6 + 1];
        const float* a2 = a[t * 6 + 2];
        const float* a3 = a[t * 6 + 3];
        const float* a4 = a[t * 6 + 4];
        const float* a5 = a[t * 6 + 5];
        const float* bt = b + (int64_t)t * kt * 16;
        for (int64_t k = 0; k < kt; k++) {
            d4j_v8 b0 = *(const d4j_v8*)(bt + 16 * k);
            d4j_v8 b1 = *(const d4j_v8*)(bt + 16 * k + 8);
            d4j_v8 v;
            v = d4j_v8_splat(a0[k]); c00 = D4J_VFMA(v, b0, c00); c01 = D4J_VFMA(v, b1, c01);
            v = d4j_v8_splat(a1[k]); c10 = D4J_VFMA(v, b0, c10); c11 = D4J_VFMA(v, b1, c11);
            v = d4j_v8_splat(a2[k]); c20 = D4J_VFMA(v, b0, c20); c21 = D4J_VFMA(v, b1, c21);
            v = d4j_v8_splat(a3[k]); c30 = D4J_VFMA(v, b0, c30); c31 = D4J_VFMA(v, b1, c31);
            v = d4j_v8_splat(a4[k]); c40 = D4J_VFMA(v, b0, c40); c41 = D4J_VFMA(v, b1, c41);
            v = d4j_v8_splat(a5[k]); c50 = D4J_VFMA(v, b0, c50); c51 = D4J_VFMA(v, b1, c51);
        }
    }
    d4j_v8 acc[6][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    for (int i = 0; i < rows; i++) {
        float* ci = c[i];
        if (cols == 16) {
            if (mode) {
                *(d4j_v8u*)ci = *(d4j_v8u*)ci + acc[i][0];
                *(d4j_v8u*)(ci + 8) = *(d4j_v8u*)(ci + 8) + acc[i][1];
            } else {
                *(d4j_v8u*)ci = acc[i][0];
                *(d4j_v8u*)(ci + 8) = acc[i][1];
            }
        } else {
            float tmp[16];
            memcpy(tmp, &acc[i][0], 32);
            memcpy(tmp + 8, &acc[i][1], 32);
            for (int j = 0; j < cols; j++) ci[j] = mode ? ci[j] + tmp[j] : tmp[j];
        }
    }
}
#endif /* __AVX512F__ */

/*
 * Two adjacent 16-column panels at once (AVX-512 build): 6 rows × 32 columns in
 * twelve zmm accumulators, each broadcast of A feeding two FMAs, so a k step
 * costs 6 broadcasts and 2 B loads for 12 FMAs (the 6×16 tile: 7 loads for 6).
 * b and b2 are the two panels (same layout as d4j_tile_6x16's b); c[i] + 16 is
 * row i's second panel; cols2 (1..16) real columns in the second panel.
 */
#ifdef __AVX512F__
static inline void d4j_tile_6x32(int taps, const float* const* a, int64_t kt, const float* b, const float* b2,
                                 float* const* c, int rows, int cols2, const float* init, int mode) {
    __m512 l0, l1, l2, l3, l4, l5, h0, h1, h2, h3, h4, h5;
    l0 = l1 = l2 = l3 = l4 = l5 = init ? _mm512_loadu_ps(init) : _mm512_setzero_ps();
    h0 = h1 = h2 = h3 = h4 = h5 = init ? _mm512_loadu_ps(init + 16) : _mm512_setzero_ps();
    for (int t = 0; t < taps; t++) {
        const float *a0 = a[t * 6 + 0], *a1 = a[t * 6 + 1], *a2 = a[t * 6 + 2];
        const float *a3 = a[t * 6 + 3], *a4 = a[t * 6 + 4], *a5 = a[t * 6 + 5];
        const float* bt = b + (int64_t)t * kt * 16;
        const float* bu = b2 + (int64_t)t * kt * 16;
        for (int64_t k = 0; k < kt; k++) {
            __m512 lo = _mm512_loadu_ps(bt + 16 * k), hi = _mm512_loadu_ps(bu + 16 * k), v;
            v = _mm512_set1_ps(a0[k]); l0 = _mm512_fmadd_ps(v, lo, l0); h0 = _mm512_fmadd_ps(v, hi, h0);
            v = _mm512_set1_ps(a1[k]); l1 = _mm512_fmadd_ps(v, lo, l1); h1 = _mm512_fmadd_ps(v, hi, h1);
            v = _mm512_set1_ps(a2[k]); l2 = _mm512_fmadd_ps(v, lo, l2); h2 = _mm512_fmadd_ps(v, hi, h2);
            v = _mm512_set1_ps(a3[k]); l3 = _mm512_fmadd_ps(v, lo, l3); h3 = _mm512_fmadd_ps(v, hi, h3);
            v = _mm512_set1_ps(a4[k]); l4 = _mm512_fmadd_ps(v, lo, l4); h4 = _mm512_fmadd_ps(v, hi, h4);
            v = _mm512_set1_ps(a5[k]); l5 = _mm512_fmadd_ps(v, lo, l5); h5 = _mm512_fmadd_ps(v, hi, h5);
        }
    }
    __m512 lo[6] = {l0, l1, l2, l3, l4, l5}, hi[6] = {h0, h1, h2, h3, h4, h5};
    __mmask16 m2 = (__mmask16)((1u << cols2) - 1u);
    for (int i = 0; i < rows; i++) {
        __m512 u = mode ? _mm512_add_ps(_mm512_loadu_ps(c[i]), lo[i]) : lo[i];
        __m512 w = mode ? _mm512_add_ps(_mm512_maskz_loadu_ps(m2, c[i] + 16), hi[i]) : hi[i];
        _mm512_storeu_ps(c[i], u);
        _mm512_mask_storeu_ps(c[i] + 16, m2, w);
    }
}
#else
/* Elsewhere two 6×16 tiles, one per panel (the ymm tile already holds twelve accumulators). */
static inline void d4j_tile_6x32(int taps, const float* const* a, int64_t kt, const float* b, const float* b2,
                                 float* const* c, int rows, int cols2, const float* init, int mode) {
    float* c2[6];
    for (int i = 0; i < 6; i++) c2[i] = c[i] + 16;
    d4j_tile_6x16(taps, a, kt, b, c, rows, 16, init, mode);
    d4j_tile_6x16(taps, a, kt, b2, c2, rows, cols2, init ? init + 16 : NULL, mode);
}
#endif

#endif /* D4J_CPU_GEMM_TILE_H */
