/*
 * dropout.c — dropout with a Philox mask (CPU): element i is kept when its
 * uniform u_i (block offset + i/4, lane i%4, as d4j_fill_uniform) is >= p, and
 * scaled by 1/(1−p). The backward regenerates the same mask from (seed,
 * offset) instead of storing it, so both directions are this one kernel.
 */
#include "../core/dropout.h"
#include "philox_tile.h"

#define TILE_ELEMS (4 * D4J_CPU_TILE_BLOCKS)

void D4J_CPU(dropout)(float* out, const float* in, int64_t n, float p, float scale, uint64_t seed, uint64_t offset) {
    int64_t tiles = (n + TILE_ELEMS - 1) / TILE_ELEMS;
#pragma omp parallel for schedule(static) if (n >= D4J_CPU_PARALLEL_MIN)
    for (int64_t k = 0; k < tiles; k++) {
        float u[TILE_ELEMS];
        int64_t begin = k * TILE_ELEMS;
        int64_t len = n - begin < TILE_ELEMS ? n - begin : TILE_ELEMS;
        d4j_cpu_uniform_tile(u, (len + 3) / 4, seed, offset + (uint64_t)(begin / 4));
        for (int64_t i = 0; i < len; i++) out[begin + i] = u[i] >= p ? D4J_MUL(in[begin + i], scale) : 0.0f;
    }
}
