/*
 * bf16_round.h — float32 → bfloat16 rounding and scratch allocation shared by
 * the two bf16 convolutions (conv2d_bf16.c on VDPBF16PS, conv2d_amx.c on AMX
 * tiles). Included after <immintrin.h> (or, in test_conv2d_bf16_emulated.c,
 * after the software intrinsics of bf16_emulation.h).
 */
#ifndef D4J_CPU_BF16_ROUND_H
#define D4J_CPU_BF16_ROUND_H

#include <stdint.h>
#include <stdlib.h>

typedef uint16_t bf16; /* the bit pattern of a bfloat16 */

static inline void* d4j_bf16_alloc(size_t n) {
    void* p = NULL;
    if (posix_memalign(&p, 64, n ? n : 1) != 0) return NULL;
    return p;
}

static inline int64_t d4j_ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* dst[0..n) = bf16(src[0..n)), round to nearest even (VCVTNE2PS2BF16 / VCVTNEPS2BF16). */
static inline void d4j_bf16_round_run(bf16* dst, const float* src, int64_t n) {
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + i + 16), _mm512_loadu_ps(src + i));
        _mm512_storeu_si512((void*)(dst + i), (__m512i)v);
    }
    for (; i < n; i += 16) {
        int64_t left = n - i < 16 ? n - i : 16;
        __mmask16 m = (__mmask16)((1u << left) - 1u);
        __m256bh v = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, src + i));
        _mm256_mask_storeu_epi16((void*)(dst + i), m, (__m256i)v);
    }
}

/* rows × c floats (row stride c) to rows × cp bf16 (cp = c rounded up to even, the pad a zero). */
static inline void d4j_bf16_round_rows(bf16* dst, const float* src, int64_t rows, int64_t c, int64_t cp) {
    if (cp == c) { /* one contiguous run, in parallel slices */
        int64_t n = rows * c, slices = n >= (1 << 18) ? 64 : 1;
#pragma omp parallel for schedule(static) if (slices > 1)
        for (int64_t sl = 0; sl < slices; sl++) {
            int64_t a = n * sl / slices & ~(int64_t)31, b = sl + 1 == slices ? n : n * (sl + 1) / slices & ~(int64_t)31;
            d4j_bf16_round_run(dst + a, src + a, b - a);
        }
        return;
    }
#pragma omp parallel for schedule(static) if (rows * c >= (1 << 18))
    for (int64_t r = 0; r < rows; r++) {
        d4j_bf16_round_run(dst + r * cp, src + r * c, c);
        dst[r * cp + c] = 0;
    }
}

#endif /* D4J_CPU_BF16_ROUND_H */
