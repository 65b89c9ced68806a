/*
 * philox_tile.h — Philox normals and uniforms for a run of consecutive blocks,
 * laid out element-ordered (block j lane l -> out[4j + l]) so callers can
 * stream them. The loop over blocks is what the compiler vectorizes.
 */
#ifndef D4J_CPU_PHILOX_TILE_H
#define D4J_CPU_PHILOX_TILE_H

#include "../core/philox.h"

/* Blocks per tile: 256 elements, 1 KiB of floats, stays in L1. */
#define D4J_CPU_TILE_BLOCKS 64

static inline void d4j_cpu_normal_tile(float* out, int64_t blocks, uint64_t seed, uint64_t first_block) {
    for (int64_t j = 0; j < blocks; j++) {
        float z[4];
        d4j_philox_normal4(z, seed, first_block + (uint64_t)j);
        out[4 * j + 0] = z[0];
        out[4 * j + 1] = z[1];
        out[4 * j + 2] = z[2];
        out[4 * j + 3] = z[3];
    }
}

static inline void d4j_cpu_uniform_tile(float* out, int64_t blocks, uint64_t seed, uint64_t first_block) {
    for (int64_t j = 0; j < blocks; j++) {
        float u[4];
        d4j_philox_uniform4(u, seed, first_block + (uint64_t)j);
        out[4 * j + 0] = u[0];
        out[4 * j + 1] = u[1];
        out[4 * j + 2] = u[2];
        out[4 * j + 3] = u[3];
    }
}

#endif /* D4J_CPU_PHILOX_TILE_H */
