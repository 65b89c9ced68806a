/*
 * philox.h — Philox4x32-10 and the normal/uniform transforms built on it,
 * shared by the CPU and CUDA backends (bit-identical results on both).
 *
 * Philox: Salmon, Moraes, Dror, Shaw, "Parallel Random Numbers: As Easy as
 * 1, 2, 3", SC'11. Counter c (4 x 32 bit), key k (2 x 32 bit), 10 rounds of
 *   (hi0,lo0) = M0*c0, (hi1,lo1) = M1*c2,
 *   c' = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0),  k += (W0, W1).
 * Normals use Box-Muller with our own log and sincos polynomials, because
 * libm and CUDA's logf/sincosf round differently and we want the same bits.
 */
#ifndef D4J_PHILOX_H
#define D4J_PHILOX_H

#include "hd.h"

#define D4J_PHILOX_M0 0xD2511F53u
#define D4J_PHILOX_M1 0xCD9E8D57u
#define D4J_PHILOX_W0 0x9E3779B9u
#define D4J_PHILOX_W1 0xBB67AE85u

/* One Philox4x32-10 block: x[4] holds the counter on entry, the output on exit. */
D4J_HD void d4j_philox4x32_10_block(uint32_t x[4], uint32_t k0, uint32_t k1) {
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)D4J_PHILOX_M0 * x[0];
        uint64_t p1 = (uint64_t)D4J_PHILOX_M1 * x[2];
        uint32_t y0 = (uint32_t)(p1 >> 32) ^ x[1] ^ k0;
        uint32_t y1 = (uint32_t)p1;
        uint32_t y2 = (uint32_t)(p0 >> 32) ^ x[3] ^ k1;
        uint32_t y3 = (uint32_t)p0;
        x[0] = y0; x[1] = y1; x[2] = y2; x[3] = y3;
        k0 += D4J_PHILOX_W0;
        k1 += D4J_PHILOX_W1;
    }
}

/* The block of element stream position `block`: counter (lo, hi, 0, 0), key = seed. */
D4J_HD void d4j_philox_draw(uint32_t x[4], uint64_t seed, uint64_t block) {
    x[0] = (uint32_t)block;
    x[1] = (uint32_t)(block >> 32);
    x[2] = 0;
    x[3] = 0;
    d4j_philox4x32_10_block(x, (uint32_t)seed, (uint32_t)(seed >> 32));
}

/* Top 24 bits as a float in [0, 1): exact, k * 2^-24. */
D4J_HD float d4j_u01_closed_open(uint32_t x) {
    return (float)(int32_t)(x >> 8) * 5.9604644775390625e-8f;
}

/* Top 24 bits as a float in (0, 1]: exact, (k + 1) * 2^-24; never 0, so log is finite. */
D4J_HD float d4j_u01_open_closed(uint32_t x) {
    return (float)(int32_t)((x >> 8) + 1u) * 5.9604644775390625e-8f;
}

/* Natural log of a normal positive float. x = 2^e m, m in [sqrt(1/2), sqrt(2));
 * log(m) = 2 atanh(s), s = (m-1)/(m+1), |s| < 0.172, odd series to s^9. */
D4J_HD float d4j_logf(float x) {
    uint32_t bits = d4j_float_bits(x);
    int32_t e = (int32_t)((bits >> 23) & 0xffu) - 127;
    uint32_t mant = bits & 0x7fffffu;
    int32_t big = mant > 0x3504f3u; /* m > sqrt(2): use m/2 and e+1 */
    e += big;
    float m = d4j_bits_float(mant | (0x3f800000u - ((uint32_t)big << 23)));
    float f = D4J_SUB(m, 1.0f); /* exact (Sterbenz) */
    float s = D4J_ADD(f, 2.0f);
    s = f / s;
    float s2 = D4J_MUL(s, s);
    float p = fmaf(s2, 0.22222222f, 0.28571429f);  /* 2/9, 2/7 */
    p = fmaf(s2, p, 0.4f);                          /* 2/5 */
    p = fmaf(s2, p, 0.66666669f);                   /* 2/3 */
    p = D4J_MUL(s2, p);
    float logm = fmaf(s, p, D4J_MUL(2.0f, s));
    float ef = (float)e;
    /* ln 2 = 0.693145751953125 (exact in 13 bits) + 1.42860677e-06 */
    return fmaf(ef, 0.693145751953125f, fmaf(ef, 1.42860677e-06f, logm));
}

/* Quarter-turn reduction for cos/sin of 2*pi*u, u in [0, 1]: u = q/4 + r with
 * q the nearest quarter, then x = 2*pi*r in [-pi/4, pi/4]. Both steps exact
 * but the last product. */
D4J_HD float d4j_quarter(float u) {
    /* floor by truncation: the argument is >= 0.5 (and truncation vectorizes where floorf does not) */
    return (float)(int32_t)D4J_ADD(D4J_MUL(u, 4.0f), 0.5f);
}
D4J_HD float d4j_reduced_angle(float u, float q) { return D4J_MUL(D4J_SUB(u, D4J_MUL(q, 0.25f)), 6.28318548f); }

/* Taylor polynomials on |x| <= pi/4 (truncation below 2e-9). */
D4J_HD float d4j_sin_poly(float x) {
    float x2 = D4J_MUL(x, x);
    float p = fmaf(x2, 2.75573192e-06f, -1.98412698e-04f);
    p = fmaf(x2, p, 8.33333333e-03f);
    p = fmaf(x2, p, -0.166666667f);
    return fmaf(D4J_MUL(x, x2), p, x);
}
D4J_HD float d4j_cos_poly(float x) {
    float x2 = D4J_MUL(x, x);
    float p = fmaf(x2, -2.75573192e-07f, 2.48015873e-05f);
    p = fmaf(x2, p, -1.38888889e-03f);
    p = fmaf(x2, p, 4.16666667e-02f);
    p = fmaf(x2, p, -0.5f);
    return fmaf(x2, p, 1.0f);
}

/* Picks a when bit is set, else b, then flips the sign when neg is set: bit
 * operations rather than branches, so a compiler vectorizes the callers. */
D4J_HD float d4j_select_negate(int bit, float a, float b, int neg) {
    uint32_t mask = 0u - (uint32_t)(bit != 0);
    uint32_t v = (d4j_float_bits(a) & mask) | (d4j_float_bits(b) & ~mask);
    return d4j_bits_float(v ^ ((uint32_t)(neg != 0) << 31));
}

/* cos(2*pi*u) and sin(2*pi*u): rotate the reduced values by the quarter turns. */
D4J_HD float d4j_cos_2pi(float u) {
    float q = d4j_quarter(u), x = d4j_reduced_angle(u, q);
    float s = d4j_sin_poly(x), c = d4j_cos_poly(x);
    int quadrant = (int)q & 3; /* 0: c, 1: -s, 2: -c, 3: s */
    return d4j_select_negate(quadrant & 1, s, c, (quadrant + 1) & 2);
}
D4J_HD float d4j_sin_2pi(float u) {
    float q = d4j_quarter(u), x = d4j_reduced_angle(u, q);
    float s = d4j_sin_poly(x), c = d4j_cos_poly(x);
    int quadrant = (int)q & 3; /* 0: s, 1: c, 2: -s, 3: -c */
    return d4j_select_negate(quadrant & 1, c, s, quadrant & 2);
}

/* Box-Muller radius sqrt(-2 ln u1) of a word, u1 in (0, 1]. */
D4J_HD float d4j_box_muller_radius(uint32_t a) {
    return sqrtf(D4J_MUL(-2.0f, d4j_logf(d4j_u01_open_closed(a))));
}

/* Four standard normals from one block's words: Box-Muller on (x0, x1) and (x2, x3). */
D4J_HD void d4j_philox_box_muller4(float z[4], const uint32_t x[4]) {
    for (int pair = 0; pair < 2; pair++) {
        float r = d4j_box_muller_radius(x[2 * pair]);
        float u2 = d4j_u01_closed_open(x[2 * pair + 1]);
        z[2 * pair] = D4J_MUL(r, d4j_cos_2pi(u2));
        z[2 * pair + 1] = D4J_MUL(r, d4j_sin_2pi(u2));
    }
}

/* Four standard normals from block `block` of the stream (seed, offset). */
D4J_HD void d4j_philox_normal4(float z[4], uint64_t seed, uint64_t block) {
    uint32_t x[4];
    d4j_philox_draw(x, seed, block);
    d4j_philox_box_muller4(z, x);
}

/*
 * Keyed per-sample noise (d4j_keyed_noise, and the sampler step's z): element j
 * of a sample, j counted within the sample, is normal j%4 of the block with
 * counter (j/4, stream, lo(id), hi(id)) under key `key`. Each sample starts a
 * fresh block, so the numbers depend on (key, stream, id, j) only, never on the
 * batch, the sample's position in it, or the device.
 */
D4J_HD void d4j_philox_keyed_counter(uint32_t x[4], uint32_t block, uint32_t stream, uint64_t id) {
    x[0] = block;
    x[1] = stream;
    x[2] = (uint32_t)id;
    x[3] = (uint32_t)(id >> 32);
}

D4J_HD void d4j_philox_keyed_normal4(float z[4], uint64_t key, uint32_t stream, uint64_t id, uint32_t block) {
    uint32_t x[4];
    d4j_philox_keyed_counter(x, block, stream, id);
    d4j_philox4x32_10_block(x, (uint32_t)key, (uint32_t)(key >> 32));
    d4j_philox_box_muller4(z, x);
}

/* Keyed blocks of one sample are numbered in 32 bits: at most 2^32 per sample. */
#define D4J_KEYED_MAX_BLOCKS (UINT64_C(1) << 32)

/* Four uniforms in [0, 1) from one Philox block. */
D4J_HD void d4j_philox_uniform4(float u[4], uint64_t seed, uint64_t block) {
    uint32_t x[4];
    d4j_philox_draw(x, seed, block);
    for (int lane = 0; lane < 4; lane++) u[lane] = d4j_u01_closed_open(x[lane]);
}

/* Blocks of 4 consumed by n elements. */
D4J_HD uint64_t d4j_philox_blocks(int64_t n) { return (uint64_t)((n + 3) / 4); }

#endif /* D4J_PHILOX_H */
