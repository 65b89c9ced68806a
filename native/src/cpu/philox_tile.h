/*
 * philox_tile.h — Philox normals and uniforms for a run of up to
 * D4J_CPU_TILE_BLOCKS consecutive blocks, element-ordered (block j lane l ->
 * out[4j + l]). The blocks are processed as structure-of-arrays, one SIMD lane
 * per block, so the compiler vectorizes the rounds (32×32→64-bit products) and
 * the Box-Muller math; each lane runs exactly the scalar operations of
 * core/philox.h, so the bits equal d4j_philox_normal4 / _uniform4 (and CUDA).
 */
#ifndef D4J_CPU_PHILOX_TILE_H
#define D4J_CPU_PHILOX_TILE_H

#include "../core/philox.h"

/* Blocks per tile: 256 elements, 1 KiB of floats, stays in L1. */
#define D4J_CPU_TILE_BLOCKS 64

/* The raw Philox4x32-10 words of blocks first_block .. first_block + 63. */
static inline void d4j_cpu_philox_tile(uint32_t x0[D4J_CPU_TILE_BLOCKS], uint32_t x1[D4J_CPU_TILE_BLOCKS],
                                       uint32_t x2[D4J_CPU_TILE_BLOCKS], uint32_t x3[D4J_CPU_TILE_BLOCKS],
                                       uint64_t seed, uint64_t first_block) {
    for (int j = 0; j < D4J_CPU_TILE_BLOCKS; j++) {
        uint64_t block = first_block + (uint64_t)j;
        x0[j] = (uint32_t)block;
        x1[j] = (uint32_t)(block >> 32);
        x2[j] = 0;
        x3[j] = 0;
    }
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int round = 0; round < 10; round++) {
        for (int j = 0; j < D4J_CPU_TILE_BLOCKS; j++) {
            uint64_t p0 = (uint64_t)D4J_PHILOX_M0 * x0[j];
            uint64_t p1 = (uint64_t)D4J_PHILOX_M1 * x2[j];
            uint32_t y0 = (uint32_t)(p1 >> 32) ^ x1[j] ^ k0;
            uint32_t y2 = (uint32_t)(p0 >> 32) ^ x3[j] ^ k1;
            x1[j] = (uint32_t)p1;
            x3[j] = (uint32_t)p0;
            x0[j] = y0;
            x2[j] = y2;
        }
        k0 += D4J_PHILOX_W0;
        k1 += D4J_PHILOX_W1;
    }
}

static inline void d4j_cpu_normal_tile(float* out, int64_t blocks, uint64_t seed, uint64_t first_block) {
    uint32_t x0[D4J_CPU_TILE_BLOCKS], x1[D4J_CPU_TILE_BLOCKS], x2[D4J_CPU_TILE_BLOCKS], x3[D4J_CPU_TILE_BLOCKS];
    float z0[D4J_CPU_TILE_BLOCKS], z1[D4J_CPU_TILE_BLOCKS], z2[D4J_CPU_TILE_BLOCKS], z3[D4J_CPU_TILE_BLOCKS];
    d4j_cpu_philox_tile(x0, x1, x2, x3, seed, first_block);
    /* Box-Muller, as in d4j_philox_normal4: (x0, x1) -> z0, z1 and (x2, x3) -> z2, z3 */
    for (int j = 0; j < D4J_CPU_TILE_BLOCKS; j++) {
        float r = d4j_box_muller_radius(x0[j]), u = d4j_u01_closed_open(x1[j]);
        z0[j] = D4J_MUL(r, d4j_cos_2pi(u));
        z1[j] = D4J_MUL(r, d4j_sin_2pi(u));
    }
    for (int j = 0; j < D4J_CPU_TILE_BLOCKS; j++) {
        float r = d4j_box_muller_radius(x2[j]), u = d4j_u01_closed_open(x3[j]);
        z2[j] = D4J_MUL(r, d4j_cos_2pi(u));
        z3[j] = D4J_MUL(r, d4j_sin_2pi(u));
    }
    for (int64_t j = 0; j < blocks; j++) {
        out[4 * j + 0] = z0[j];
        out[4 * j + 1] = z1[j];
        out[4 * j + 2] = z2[j];
        out[4 * j + 3] = z3[j];
    }
}

static inline void d4j_cpu_uniform_tile(float* out, int64_t blocks, uint64_t seed, uint64_t first_block) {
    uint32_t x0[D4J_CPU_TILE_BLOCKS], x1[D4J_CPU_TILE_BLOCKS], x2[D4J_CPU_TILE_BLOCKS], x3[D4J_CPU_TILE_BLOCKS];
    d4j_cpu_philox_tile(x0, x1, x2, x3, seed, first_block);
    for (int64_t j = 0; j < blocks; j++) {
        out[4 * j + 0] = d4j_u01_closed_open(x0[j]);
        out[4 * j + 1] = d4j_u01_closed_open(x1[j]);
        out[4 * j + 2] = d4j_u01_closed_open(x2[j]);
        out[4 * j + 3] = d4j_u01_closed_open(x3[j]);
    }
}

#endif /* D4J_CPU_PHILOX_TILE_H */
