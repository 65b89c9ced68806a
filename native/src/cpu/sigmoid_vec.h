/*
 * sigmoid_vec.h — σ(z) and SiLU(z) = z·σ(z) on 8 floats at a time, for the AVX2 (and AVX-512)
 * CPU builds, and on 16 in the AVX-512 build; the generic build keeps the scalar
 * d4j_sigmoidf of core/expf.h.
 *
 * Why not the scalar form vectorized by the compiler: the compiled d4j_sigmoidf is one long
 * dependency chain per vector (a negation, truncate-compare-subtract rounding, a six-step
 * Horner polynomial, a product, a sum, a reciprocal, a product: ~70 cycles), and with ~28
 * uops per vector the reorder window overlaps too few of them; the loop ran at ~12 cycles
 * per 8 floats, latency-bound. Here the chain is about half as long (see below) and the
 * quotient is one exact division. e^−z is the same reduction and degree-6 Taylor polynomial
 * as d4j_expf (2^n · p(r), ln 2 split in two), evaluated in another order, so the bits differ
 * from the scalar path: kernels that use it state tolerances, not equality, against CUDA.
 * Accuracy (measured over z ∈ [−80, 40] against float64): within a few ulp, as the scalar path.
 */
#ifndef D4J_SIGMOID_VEC_H
#define D4J_SIGMOID_VEC_H

#if defined(__AVX2__) && defined(__FMA__)
#define D4J_HAVE_SIGMOID8 1
#include <immintrin.h>

/* 1 + e^−z. The loop is bound by this chain's latency (the reorder window holds only a few
 * iterations), so it is kept short: z is clamped to [−80, 87] (e^−z then stays a normal float
 * and 1 + e^−z finite; for z < −80 SiLU is below 1e−33 in magnitude either way), the reduction
 * works on s = −r = z + n ln 2, the polynomial runs in Estrin's form (three levels, not six),
 * and 2^n·p + 1 is one FMA. Written once for both widths (P: _mm256 or _mm512, W: 256 or 512),
 * so the 16-lane form rounds exactly as the 8-lane one. */
#define D4J_ONE_PLUS_EXP_NEG(V, P, W, NAME)                                                                  \
    static inline V NAME(V z) {                                                                              \
        const V round = P##_set1_ps(12582912.0f); /* 1.5·2^23: adding it rounds to an integer */              \
        z = P##_min_ps(P##_max_ps(z, P##_set1_ps(-80.0f)), P##_set1_ps(87.0f));                              \
        V t = P##_fmadd_ps(z, P##_set1_ps(-1.44269504f), round); /* low mantissa bits: n = round(−z/ln 2) */  \
        V nf = P##_sub_ps(t, round);                                                                         \
        V sr = P##_fmadd_ps(nf, P##_set1_ps(0.693145751953125f), z); /* s = −r, ln 2 split: exact high... */ \
        sr = P##_fmadd_ps(nf, P##_set1_ps(1.42860677e-06f), sr);     /* ...and the rest */                   \
        /* p(r) = Σ r^k/k!, k <= 6, r = −s: (1 − s) + s²(1/2 − s/6) + s⁴(1/24 − s/120 + s²/720) */             \
        V s2 = P##_mul_ps(sr, sr);                                                                           \
        V s4 = P##_mul_ps(s2, s2);                                                                           \
        V a = P##_fnmadd_ps(sr, P##_set1_ps(1.0f), P##_set1_ps(1.0f));                                       \
        V b = P##_fnmadd_ps(sr, P##_set1_ps(0.166666667f), P##_set1_ps(0.5f));                               \
        V c = P##_fnmadd_ps(sr, P##_set1_ps(8.33333333e-03f), P##_set1_ps(4.16666667e-02f));                 \
        c = P##_fmadd_ps(s2, P##_set1_ps(1.38888889e-03f), c);                                               \
        V p = P##_fmadd_ps(s4, c, P##_fmadd_ps(s2, b, a));                                                   \
        /* bits(t) = bits(1.5·2^23) + n, bits(1.5·2^23)·2^23 ≡ 0 mod 2^32: 2^n = (bits(t) << 23) + (127 << 23) */ \
        V pow2n = P##_castsi##W##_ps(                                                                        \
            P##_add_epi32(P##_slli_epi32(P##_castps_si##W(t), 23), P##_set1_epi32(127 << 23)));              \
        return P##_fmadd_ps(p, pow2n, P##_set1_ps(1.0f));                                                    \
    }

D4J_ONE_PLUS_EXP_NEG(__m256, _mm256, 256, d4j_one_plus_exp_neg8)

/* SiLU(z) = z / (1 + e^−z) */
static inline __m256 d4j_silu8(__m256 z) { return _mm256_div_ps(z, d4j_one_plus_exp_neg8(z)); }

/* σ(z) = 1 / (1 + e^−z) */
static inline __m256 d4j_sigmoid8(__m256 z) { return _mm256_div_ps(_mm256_set1_ps(1.0f), d4j_one_plus_exp_neg8(z)); }

#ifdef __AVX512F__
#define D4J_HAVE_SIGMOID16 1
D4J_ONE_PLUS_EXP_NEG(__m512, _mm512, 512, d4j_one_plus_exp_neg16)

/* SiLU on 16 lanes (AVX-512 build): half the instructions per float of d4j_silu8, same bits */
static inline __m512 d4j_silu16(__m512 z) { return _mm512_div_ps(z, d4j_one_plus_exp_neg16(z)); }

/* σ on 16 lanes, same bits as d4j_sigmoid8 */
static inline __m512 d4j_sigmoid16(__m512 z) { return _mm512_div_ps(_mm512_set1_ps(1.0f), d4j_one_plus_exp_neg16(z)); }
#endif /* __AVX512F__ */
#endif /* __AVX2__ && __FMA__ */

#endif /* D4J_SIGMOID_VEC_H */
