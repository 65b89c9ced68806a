/*
 * latent_sample.c — the reparameterisation trick (Kingma & Welling 2014, eq. 4) on a latent (CPU):
 *   forward  z = μ + e^{ℓ/2} ε, ε Philox normals (counters as fill_normal over eps), or z = μ;
 *   backward dμ += dz, dℓ += ½ dz e^{ℓ/2} ε (0 where ℓ is clamped).
 */
#include "../core/latent_gaussian.h"
#include "../core/latent_sample.h"
#include "philox_tile.h"

#define TILE_ELEMS (4 * D4J_CPU_TILE_BLOCKS)

void D4J_CPU(latent_sample_forward)(float* z, float* eps, const float* moments, int64_t positions, int64_t channels,
                                    uint64_t seed, uint64_t offset) {
    int64_t n = positions * channels;
    int64_t tiles = (n + TILE_ELEMS - 1) / TILE_ELEMS;
#pragma omp parallel for schedule(static) if (n >= D4J_CPU_PARALLEL_MIN)
    for (int64_t k = 0; k < tiles; k++) {
        float e[TILE_ELEMS];
        int64_t begin = k * TILE_ELEMS;
        int64_t end = n - begin < TILE_ELEMS ? n : begin + TILE_ELEMS;
        if (eps) d4j_cpu_normal_tile(e, (end - begin + 3) / 4, seed, offset + (uint64_t)(begin / 4));
        for (int64_t j = begin; j < end; j++) {
            int64_t i = j / channels, c = j - i * channels;
            float mu = moments[i * 2 * channels + c];
            if (eps) {
                float l = moments[i * 2 * channels + channels + c];
                eps[j] = e[j - begin];
                z[j] = fmaf(d4j_latent_std(l), e[j - begin], mu);
            } else {
                z[j] = mu;
            }
        }
    }
}

void D4J_CPU(latent_sample_backward)(float* dmoments, const float* dz, const float* eps, const float* moments,
                                     int64_t positions, int64_t channels) {
#pragma omp parallel for schedule(static) if (positions * channels >= D4J_CPU_PARALLEL_MIN)
    for (int64_t i = 0; i < positions; i++) {
        float* dmu = dmoments + i * 2 * channels;
        float* dlv = dmu + channels;
        const float* lv = moments + i * 2 * channels + channels;
        const float* g = dz + i * channels;
        for (int64_t c = 0; c < channels; c++) {
            dmu[c] = D4J_ADD(dmu[c], g[c]);
            if (eps) {
                float l = lv[c];
                float d = D4J_MUL(D4J_MUL(D4J_MUL(0.5f, g[c]), d4j_latent_std(l)), eps[i * channels + c]);
                dlv[c] = D4J_ADD(dlv[c], d4j_latent_logvar_grad(l, d));
            }
        }
    }
}
