/*
 * q_sample.c — the forward process q(x_t|x_0) in one pass (CPU):
 *   eps = z (Philox normals, counters as fill_normal),  x_t = a[s] x_0 + b[s] eps
 * with a = sqrt(abar_t), b = sqrt(1 - abar_t) of sample s (DDPM eq. 4).
 */
#include "../core/q_sample.h"
#include "philox_tile.h"

#define TILE_ELEMS (4 * D4J_CPU_TILE_BLOCKS)

void D4J_CPU(q_sample)(float* x_t, float* eps, const float* x_0, const float* a, const float* b,
                       int64_t batch, int64_t per_sample, uint64_t seed, uint64_t offset) {
    int64_t n = batch * per_sample;
    int64_t tiles = (n + TILE_ELEMS - 1) / TILE_ELEMS;
#pragma omp parallel for schedule(static) if (n >= D4J_CPU_PARALLEL_MIN)
    for (int64_t k = 0; k < tiles; k++) {
        float z[TILE_ELEMS];
        int64_t begin = k * TILE_ELEMS;
        int64_t end = n - begin < TILE_ELEMS ? n : begin + TILE_ELEMS;
        d4j_cpu_normal_tile(z, (end - begin + 3) / 4, seed, offset + (uint64_t)(begin / 4));
        /* walk the samples this tile touches; one coefficient pair per run */
        for (int64_t i = begin; i < end;) {
            int64_t s = i / per_sample;
            int64_t run_end = (s + 1) * per_sample < end ? (s + 1) * per_sample : end;
            float as = a[s], bs = b[s];
            for (int64_t j = i; j < run_end; j++) {
                float e = z[j - begin];
                eps[j] = e;
                x_t[j] = fmaf(as, x_0[j], D4J_MUL(bs, e));
            }
            i = run_end;
        }
    }
}
