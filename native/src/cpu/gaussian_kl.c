/*
 * gaussian_kl.c — KL(N(μ, e^ℓ) ‖ N(0, I)) summed over a latent and its gradient (CPU):
 *   loss = scale Σ ½ (μ² + e^ℓ − 1 − ℓ),  dμ = scale μ,  dℓ = scale ½ (e^ℓ − 1)
 * (Kingma & Welling 2014, appendix B). The sum is float64 in a fixed order whatever the thread
 * count: PARTS fixed slices of the positions each sum into their own partial, added in order.
 */
#include "../core/gaussian_kl.h"
#include "../core/latent_gaussian.h"

#define PARTS 64

void D4J_CPU(gaussian_kl)(float* loss, float* dmoments, const float* moments, int64_t positions, int64_t channels,
                          double scale) {
    double partial[PARTS];
    const float g = (float)scale;
#pragma omp parallel for schedule(static) if (positions * channels >= D4J_CPU_PARALLEL_MIN)
    for (int p = 0; p < PARTS; p++) {
        int64_t begin = positions / PARTS * p + (p < positions % PARTS ? p : positions % PARTS);
        int64_t end = begin + positions / PARTS + (p < positions % PARTS ? 1 : 0);
        double part = 0.0;
        for (int64_t i = begin; i < end; i++) {
            const float* mu = moments + i * 2 * channels;
            const float* lv = mu + channels;
            for (int64_t c = 0; c < channels; c++) part += d4j_latent_kl_element(mu[c], lv[c]);
            if (dmoments) { /* read before written: dmoments may be moments */
                float* dmu = dmoments + i * 2 * channels;
                float* dlv = dmu + channels;
                for (int64_t c = 0; c < channels; c++) {
                    float m = mu[c], d = d4j_latent_kl_dlogvar(lv[c]);
                    dmu[c] = D4J_MUL(g, m);
                    dlv[c] = D4J_MUL(g, d);
                }
            }
        }
        partial[p] = part;
    }
    double sum = 0.0;
    for (int p = 0; p < PARTS; p++) sum += partial[p];
    *loss = (float)(scale * sum);
}
