/*
 * transpose.h — dst = srcᵀ for row-major float blocks with any row strides
 * (CPU), for packing GEMM operands whose contraction index is the other way
 * round (attention's Kᵀ, Qᵀ, dOᵀ). 8×8 tiles go through registers (AVX2: eight
 * loads, 24 shuffles, eight stores); edges, and the generic build, element by
 * element.
 */
#ifndef D4J_CPU_TRANSPOSE_H
#define D4J_CPU_TRANSPOSE_H

#include <stdint.h>
#ifdef __AVX2__
#include <immintrin.h>
#endif

#ifdef __AVX2__
/* dst[c·ldd + r] = src[r·lds + c] for r, c < 8 */
static inline void d4j_transpose_8x8(float* dst, int64_t ldd, const float* src, int64_t lds) {
    __m256 r0 = _mm256_loadu_ps(src + 0 * lds), r1 = _mm256_loadu_ps(src + 1 * lds);
    __m256 r2 = _mm256_loadu_ps(src + 2 * lds), r3 = _mm256_loadu_ps(src + 3 * lds);
    __m256 r4 = _mm256_loadu_ps(src + 4 * lds), r5 = _mm256_loadu_ps(src + 5 * lds);
    __m256 r6 = _mm256_loadu_ps(src + 6 * lds), r7 = _mm256_loadu_ps(src + 7 * lds);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(dst + 0 * ldd, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(dst + 1 * ldd, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(dst + 2 * ldd, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(dst + 3 * ldd, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(dst + 4 * ldd, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(dst + 5 * ldd, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(dst + 6 * ldd, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(dst + 7 * ldd, _mm256_permute2f128_ps(u3, u7, 0x31));
}
#endif

/* dst[c·ldd + r] = src[r·lds + c] for r < rows, c < cols */
static inline void d4j_transpose(float* dst, int64_t ldd, const float* src, int64_t lds, int64_t rows, int64_t cols) {
    int64_t r0 = 0, c0 = 0;
#ifdef __AVX2__
    for (; r0 + 8 <= rows; r0 += 8)
        for (int64_t c = 0; c + 8 <= cols; c += 8) d4j_transpose_8x8(dst + c * ldd + r0, ldd, src + r0 * lds + c, lds);
    c0 = cols / 8 * 8;
    /* left: the rows past r0 (all columns), and the columns past c0 of the rows before r0 */
    for (int64_t r = 0; r < r0; r++)
        for (int64_t c = c0; c < cols; c++) dst[c * ldd + r] = src[r * lds + c];
#endif
    for (int64_t r = r0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++) dst[c * ldd + r] = src[r * lds + c];
    (void)c0;
}

#endif /* D4J_CPU_TRANSPOSE_H */
