/* sampler_step.c — the fused reverse-process update (CPU): guidance, x̂_0, ε̂, update and keyed noise in one pass. */
#include "../core/sampler_math.h"
#include "../core/sampler_step.h"
#include "philox_tile.h"

#define TILE_ELEMS (4 * D4J_CPU_TILE_BLOCKS)

void D4J_CPU(sampler_step)(float* x_prev, const float* x_t, const float* out, const float* out_uncond,
                           const float* var_out, int64_t batch, int64_t per_sample, const d4j_step_coefficients* c,
                           uint64_t noise_key, uint32_t noise_stream, const int64_t* ids) {
    const int guided = out_uncond != NULL, learned = var_out != NULL;
    const int64_t n = batch * per_sample;
    if (c->sigma == 0.0f) { /* no noise: z = 0 and σ_i = 0, ids and var_out unused */
#pragma omp parallel for schedule(static) if (n >= D4J_CPU_PARALLEL_MIN)
        for (int64_t i = 0; i < n; i++)
            x_prev[i] = d4j_sampler_update(x_t[i], out[i], guided ? out_uncond[i] : 0.0f, 0.0f, 0.0f, c, guided, 0);
        return;
    }
    int64_t tiles = (batch * ((per_sample + 3) / 4) + D4J_CPU_TILE_BLOCKS - 1) / D4J_CPU_TILE_BLOCKS;
#pragma omp parallel for schedule(static) if (n >= D4J_CPU_PARALLEL_MIN)
    for (int64_t k = 0; k < tiles; k++) {
        float z[TILE_ELEMS];
        int64_t first;
        int64_t len = d4j_cpu_keyed_normal_tile(z, &first, k, batch, per_sample, noise_key, noise_stream, ids);
        for (int64_t j = 0; j < len; j++) {
            int64_t i = first + j;
            x_prev[i] = d4j_sampler_update(x_t[i], out[i], guided ? out_uncond[i] : 0.0f, learned ? var_out[i] : 0.0f,
                                           z[j], c, guided, learned);
        }
    }
}
