/*
 * sigmoid_vec.h — σ(z) and SiLU(z) = z·σ(z) on 8 floats at a time, for the AVX2 (and AVX-512)
 * CPU builds; the generic build keeps the scalar d4j_sigmoidf of core/expf.h.
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
 * and 2^n·p + 1 is one FMA. */
static inline __m256 d4j_one_plus_exp_neg8(__m256 z) {
    const __m256 round = _mm256_set1_ps(12582912.0f); /* 1.5·2^23: adding it rounds to an integer */
    z = _mm256_min_ps(_mm256_max_ps(z, _mm256_set1_ps(-80.0f)), _mm256_set1_ps(87.0f));
    __m256 t = _mm256_fmadd_ps(z, _mm256_set1_ps(-1.44269504f), round); /* low mantissa bits hold n = round(−z/ln 2) */
    __m256 nf = _mm256_sub_ps(t, round);
    __m256 sr = _mm256_fmadd_ps(nf, _mm256_set1_ps(0.693145751953125f), z); /* s = −r, ln 2 split: exact high part... */
    sr = _mm256_fmadd_ps(nf, _mm256_set1_ps(1.42860677e-06f), sr);        /* ...and the rest */
    /* p(r) = Σ r^k/k!, k <= 6, with r = −s: (1 − s) + s²(1/2 − s/6) + s⁴(1/24 − s/120 + s²/720) */
    __m256 s2 = _mm256_mul_ps(sr, sr);
    __m256 s4 = _mm256_mul_ps(s2, s2);
    __m256 a = _mm256_fnmadd_ps(sr, _mm256_set1_ps(1.0f), _mm256_set1_ps(1.0f));
    __m256 b = _mm256_fnmadd_ps(sr, _mm256_set1_ps(0.166666667f), _mm256_set1_ps(0.5f));
    __m256 c = _mm256_fnmadd_ps(sr, _mm256_set1_ps(8.33333333e-03f), _mm256_set1_ps(4.16666667e-02f));
    c = _mm256_fmadd_ps(s2, _mm256_set1_ps(1.38888889e-03f), c);
    __m256 p = _mm256_fmadd_ps(s4, c, _mm256_fmadd_ps(s2, b, a));
    /* bits(t) = bits(1.5·2^23) + n, and bits(1.5·2^23)·2^23 ≡ 0 mod 2^32: 2^n = (bits(t) << 23) + (127 << 23) */
    __m256i pow2n = _mm256_add_epi32(_mm256_slli_epi32(_mm256_castps_si256(t), 23), _mm256_set1_epi32(127 << 23));
    return _mm256_fmadd_ps(p, _mm256_castsi256_ps(pow2n), _mm256_set1_ps(1.0f));
}

/* SiLU(z) = z / (1 + e^−z) */
static inline __m256 d4j_silu8(__m256 z) { return _mm256_div_ps(z, d4j_one_plus_exp_neg8(z)); }

/* σ(z) = 1 / (1 + e^−z) */
static inline __m256 d4j_sigmoid8(__m256 z) { return _mm256_div_ps(_mm256_set1_ps(1.0f), d4j_one_plus_exp_neg8(z)); }
#endif

#endif /* D4J_SIGMOID_VEC_H */
