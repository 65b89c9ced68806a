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

/* Ten Philox4x32-10 rounds on D4J_CPU_TILE_BLOCKS counters at once (counter in, words out). */
static inline void d4j_cpu_philox_rounds(uint32_t x0[D4J_CPU_TILE_BLOCKS], uint32_t x1[D4J_CPU_TILE_BLOCKS],
                                         uint32_t x2[D4J_CPU_TILE_BLOCKS], uint32_t x3[D4J_CPU_TILE_BLOCKS],
                                         uint64_t key) {
    uint32_t k0 = (uint32_t)key, k1 = (uint32_t)(key >> 32);
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

/* The raw Philox4x32-10 words of blocks first_block .. first_block + 63 of the stream `seed`. */
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
    d4j_cpu_philox_rounds(x0, x1, x2, x3, seed);
}

/* Box-Muller of a tile's words, as d4j_philox_box_muller4 does per block: (x0, x1) -> z0, z1 and
 * (x2, x3) -> z2, z3. */
static inline void d4j_cpu_box_muller_tile(float z0[D4J_CPU_TILE_BLOCKS], float z1[D4J_CPU_TILE_BLOCKS],
                                           float z2[D4J_CPU_TILE_BLOCKS], float z3[D4J_CPU_TILE_BLOCKS],
                                           const uint32_t x0[D4J_CPU_TILE_BLOCKS],
                                           const uint32_t x1[D4J_CPU_TILE_BLOCKS],
                                           const uint32_t x2[D4J_CPU_TILE_BLOCKS],
                                           const uint32_t x3[D4J_CPU_TILE_BLOCKS]) {
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
}

static inline void d4j_cpu_normal_tile(float* out, int64_t blocks, uint64_t seed, uint64_t first_block) {
    uint32_t x0[D4J_CPU_TILE_BLOCKS], x1[D4J_CPU_TILE_BLOCKS], x2[D4J_CPU_TILE_BLOCKS], x3[D4J_CPU_TILE_BLOCKS];
    float z0[D4J_CPU_TILE_BLOCKS], z1[D4J_CPU_TILE_BLOCKS], z2[D4J_CPU_TILE_BLOCKS], z3[D4J_CPU_TILE_BLOCKS];
    d4j_cpu_philox_tile(x0, x1, x2, x3, seed, first_block);
    d4j_cpu_box_muller_tile(z0, z1, z2, z3, x0, x1, x2, x3);
    for (int64_t j = 0; j < blocks; j++) {
        out[4 * j + 0] = z0[j];
        out[4 * j + 1] = z1[j];
        out[4 * j + 2] = z2[j];
        out[4 * j + 3] = z3[j];
    }
}

/*
 * Keyed per-sample normals (core/philox.h's keying) for a run of a batch laid
 * out as (sample, block) pairs, pair p = n * blocks_per_sample + block: tile
 * `tile` covers pairs [64 tile, 64 tile + 64). Those pairs' elements are
 * contiguous in the batch, from element *first (returned) on; their normals go
 * to out[0 ..), and the count is returned. Lanes past a sample's end (when
 * per_sample is not a multiple of 4) are dropped.
 */
static inline int64_t d4j_cpu_keyed_normal_tile(float* out, int64_t* first, int64_t tile, int64_t batch,
                                                int64_t per_sample, uint64_t key, uint32_t stream,
                                                const int64_t* ids) {
    uint32_t x0[D4J_CPU_TILE_BLOCKS], x1[D4J_CPU_TILE_BLOCKS], x2[D4J_CPU_TILE_BLOCKS], x3[D4J_CPU_TILE_BLOCKS];
    float z[4][D4J_CPU_TILE_BLOCKS];
    int64_t sample[D4J_CPU_TILE_BLOCKS], elem[D4J_CPU_TILE_BLOCKS]; /* lane -> sample, first element in it */
    const int64_t bps = (per_sample + 3) / 4;
    const int64_t p0 = tile * D4J_CPU_TILE_BLOCKS;
    int64_t lanes = batch * bps - p0 < D4J_CPU_TILE_BLOCKS ? batch * bps - p0 : D4J_CPU_TILE_BLOCKS;
    int64_t n = p0 / bps, blk = p0 % bps;
    for (int j = 0; j < D4J_CPU_TILE_BLOCKS; j++) {
        int64_t s = j < lanes ? n : 0; /* unused lanes draw sample 0's numbers, never stored */
        uint32_t c[4];
        d4j_philox_keyed_counter(c, (uint32_t)blk, stream, (uint64_t)ids[s]);
        x0[j] = c[0];
        x1[j] = c[1];
        x2[j] = c[2];
        x3[j] = c[3];
        sample[j] = s;
        elem[j] = 4 * blk;
        if (++blk == bps) {
            blk = 0;
            n++;
        }
    }
    d4j_cpu_philox_rounds(x0, x1, x2, x3, key);
    d4j_cpu_box_muller_tile(z[0], z[1], z[2], z[3], x0, x1, x2, x3);
    *first = sample[0] * per_sample + elem[0];
    int64_t count = 0;
    for (int64_t j = 0; j < lanes; j++) {
        int64_t base = sample[j] * per_sample + elem[j] - *first;
        int64_t valid = per_sample - elem[j] < 4 ? per_sample - elem[j] : 4;
        for (int64_t l = 0; l < valid; l++) out[base + l] = z[l][j];
        count = base + valid;
    }
    return count;
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
