/* philox_fill.c — normal and uniform Philox fills (CPU), tile by tile. */
#include "../core/philox_fill.h"
#include "philox_tile.h"

/* Tiles of D4J_CPU_TILE_BLOCKS blocks; tile k covers elements [4*64*k, 4*64*(k+1)). */
#define TILE_ELEMS (4 * D4J_CPU_TILE_BLOCKS)

void D4J_CPU(fill_normal)(float* dst, int64_t n, float mean, float std, uint64_t seed, uint64_t offset) {
    int64_t tiles = (n + TILE_ELEMS - 1) / TILE_ELEMS;
#pragma omp parallel for schedule(static) if (n >= D4J_CPU_PARALLEL_MIN)
    for (int64_t k = 0; k < tiles; k++) {
        float z[TILE_ELEMS];
        int64_t begin = k * TILE_ELEMS;
        int64_t len = n - begin < TILE_ELEMS ? n - begin : TILE_ELEMS;
        d4j_cpu_normal_tile(z, (len + 3) / 4, seed, offset + (uint64_t)(begin / 4));
        for (int64_t i = 0; i < len; i++) dst[begin + i] = fmaf(z[i], std, mean);
    }
}

void D4J_CPU(fill_uniform)(float* dst, int64_t n, float low, float span, uint64_t seed, uint64_t offset) {
    int64_t tiles = (n + TILE_ELEMS - 1) / TILE_ELEMS;
#pragma omp parallel for schedule(static) if (n >= D4J_CPU_PARALLEL_MIN)
    for (int64_t k = 0; k < tiles; k++) {
        float u[TILE_ELEMS];
        int64_t begin = k * TILE_ELEMS;
        int64_t len = n - begin < TILE_ELEMS ? n - begin : TILE_ELEMS;
        d4j_cpu_uniform_tile(u, (len + 3) / 4, seed, offset + (uint64_t)(begin / 4));
        for (int64_t i = 0; i < len; i++) dst[begin + i] = fmaf(u[i], span, low);
    }
}
