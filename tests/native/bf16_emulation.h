/*
 * bf16_emulation.h — the AVX-512 / AVX512_BF16 intrinsics that
 * native/src/cpu/conv2d_bf16.c uses, written in portable C after the
 * pseudo-code of Intel's SDM (VCVTNE2PS2BF16, VCVTNEPS2BF16, VDPBF16PS) and the
 * masked loads and stores. Only test_conv2d_bf16_emulated.c includes it, to run
 * the bf16 kernels' indexing, pairing, padding, packing and threading on a CPU
 * without AVX-512 BF16; the library never contains it. Vector types are GCC
 * vector extensions of the same sizes as <immintrin.h>'s, so the kernel's
 * casts between them mean what they mean with the real intrinsics.
 */
#ifndef D4J_BF16_EMULATION_H
#define D4J_BF16_EMULATION_H

#include <stdint.h>
#include <string.h>

typedef float __m256 __attribute__((vector_size(32)));
typedef long long __m256i __attribute__((vector_size(32)));
typedef short __m256bh __attribute__((vector_size(32)));
typedef float __m512 __attribute__((vector_size(64)));
typedef long long __m512i __attribute__((vector_size(64)));
typedef short __m512bh __attribute__((vector_size(64)));
typedef uint8_t __mmask8;
typedef uint16_t __mmask16;

/* SDM convert_fp32_to_bfloat16: zero/denormal -> signed zero, inf kept, NaN quieted, else round to nearest even */
static inline uint16_t emu_cvt_bf16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t e = x & 0x7F800000u, m = x & 0x007FFFFFu;
    if (e == 0) return (uint16_t)((x >> 16) & 0x8000u);
    if (e == 0x7F800000u) return (uint16_t)(m ? (x >> 16) | 0x40u : x >> 16);
    return (uint16_t)((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);
}

/* SDM make_fp32, with the instruction's denormals-are-zero */
static inline float emu_fp32(uint16_t b) {
    uint32_t x = (uint32_t)b << 16;
    if ((x & 0x7F800000u) == 0) x &= 0x80000000u;
    float f;
    memcpy(&f, &x, 4);
    return f;
}

/* float32 rounding of each step, flush-to-zero of a denormal result */
static inline float emu_ftz(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7F800000u) == 0) x &= 0x80000000u;
    memcpy(&f, &x, 4);
    return f;
}

static inline __m512 _mm512_loadu_ps(const void* p) {
    __m512 v;
    memcpy(&v, p, 64);
    return v;
}
static inline __m512 _mm512_maskz_loadu_ps(__mmask16 m, const void* p) {
    __m512 v = {0};
    for (int i = 0; i < 16; i++)
        if (m >> i & 1) v[i] = ((const float*)p)[i];
    return v;
}
/* low 16 from b, high 16 from a */
static inline __m512bh _mm512_cvtne2ps_pbh(__m512 a, __m512 b) {
    __m512bh r;
    for (int i = 0; i < 16; i++) {
        r[i] = (short)emu_cvt_bf16(b[i]);
        r[16 + i] = (short)emu_cvt_bf16(a[i]);
    }
    return r;
}
static inline __m256bh _mm512_cvtneps_pbh(__m512 a) {
    __m256bh r;
    for (int i = 0; i < 16; i++) r[i] = (short)emu_cvt_bf16(a[i]);
    return r;
}
static inline void _mm512_storeu_si512(void* p, __m512i v) { memcpy(p, &v, 64); }
static inline void _mm256_mask_storeu_epi16(void* p, __mmask16 m, __m256i v) {
    short s[16];
    memcpy(s, &v, 32);
    for (int i = 0; i < 16; i++)
        if (m >> i & 1) ((short*)p)[i] = s[i];
}

static inline __m256 _mm256_loadu_ps(const float* p) {
    __m256 v;
    memcpy(&v, p, 32);
    return v;
}
static inline __m256 _mm256_setzero_ps(void) { return (__m256){0}; }
static inline __m256i _mm256_loadu_si256(const __m256i* p) {
    __m256i v;
    memcpy(&v, p, 32);
    return v;
}
static inline __m256i _mm256_load_si256(const __m256i* p) {
    if ((uintptr_t)p % 32) __builtin_trap(); /* the real VMOVDQA faults on a misaligned address */
    return _mm256_loadu_si256(p);
}
static inline __m256i _mm256_set1_epi32(int32_t x) {
    int32_t a[8] = {x, x, x, x, x, x, x, x};
    __m256i v;
    memcpy(&v, a, 32);
    return v;
}
static inline __m256 _mm256_maskz_loadu_ps(__mmask8 m, const void* p) {
    __m256 v = {0};
    for (int i = 0; i < 8; i++)
        if (m >> i & 1) v[i] = ((const float*)p)[i];
    return v;
}
static inline void _mm256_mask_storeu_ps(void* p, __mmask8 m, __m256 v) {
    for (int i = 0; i < 8; i++)
        if (m >> i & 1) ((float*)p)[i] = v[i];
}
static inline __m256 _mm256_add_ps(__m256 a, __m256 b) { return a + b; }
/* SDM VDPBF16PS: c[j] += a[2j+1]·b[2j+1], then c[j] += a[2j]·b[2j], each rounded to float32 */
static inline __m256 _mm256_dpbf16_ps(__m256 c, __m256bh a, __m256bh b) {
    for (int j = 0; j < 8; j++) {
        c[j] = emu_ftz(c[j] + emu_ftz(emu_fp32((uint16_t)a[2 * j + 1]) * emu_fp32((uint16_t)b[2 * j + 1])));
        c[j] = emu_ftz(c[j] + emu_ftz(emu_fp32((uint16_t)a[2 * j]) * emu_fp32((uint16_t)b[2 * j])));
    }
    return c;
}

#endif /* D4J_BF16_EMULATION_H */
