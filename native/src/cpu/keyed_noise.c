/* keyed_noise.c — out = a·x + b·z with per-sample keyed Philox normals (CPU), tile by tile of (sample, block) pairs. */
#include "../core/keyed_noise.h"
#include "philox_tile.h"

void D4J_CPU(keyed_noise)(float* out, const float* x, float a, float b, int64_t batch, int64_t per_sample,
                          uint64_t key, uint32_t noise_stream, const int64_t* ids) {
    int64_t pairs = batch * ((per_sample + 3) / 4);
    int64_t tiles = (pairs + D4J_CPU_TILE_BLOCKS - 1) / D4J_CPU_TILE_BLOCKS;
    const int has_x = x != NULL;
#pragma omp parallel for schedule(static) if (batch * per_sample >= D4J_CPU_PARALLEL_MIN)
    for (int64_t k = 0; k < tiles; k++) {
        float z[4 * D4J_CPU_TILE_BLOCKS];
        int64_t first;
        int64_t len = d4j_cpu_keyed_normal_tile(z, &first, k, batch, per_sample, key, noise_stream, ids);
        for (int64_t i = 0; i < len; i++)
            out[first + i] = d4j_keyed_noise_element(has_x ? x[first + i] : 0.0f, z[i], a, b, has_x);
    }
}
