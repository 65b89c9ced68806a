/* sampler_step.c — the fused reverse-process update (CPU): guidance, x̂_0, update and fresh noise in one pass. */
#include "../core/sampler_math.h"
#include "../core/sampler_step.h"
#include "philox_tile.h"

#define TILE_ELEMS (4 * D4J_CPU_TILE_BLOCKS)

void D4J_CPU(sampler_step)(float* x_prev, const float* x_t, const float* eps, const float* eps_uncond, int64_t n,
                           const d4j_step_coefficients* c, uint64_t seed, uint64_t offset) {
    const int guided = eps_uncond != NULL;
    const int noisy = c->sigma != 0.0f;
    int64_t tiles = (n + TILE_ELEMS - 1) / TILE_ELEMS;
#pragma omp parallel for schedule(static) if (n >= D4J_CPU_PARALLEL_MIN)
    for (int64_t k = 0; k < tiles; k++) {
        float z[TILE_ELEMS] = {0};
        int64_t begin = k * TILE_ELEMS;
        int64_t len = n - begin < TILE_ELEMS ? n - begin : TILE_ELEMS;
        if (noisy) d4j_cpu_normal_tile(z, (len + 3) / 4, seed, offset + (uint64_t)(begin / 4));
        for (int64_t i = 0; i < len; i++)
            x_prev[begin + i] = d4j_sampler_update(x_t[begin + i], eps[begin + i],
                                                   guided ? eps_uncond[begin + i] : 0.0f, z[i], c, guided);
    }
}
