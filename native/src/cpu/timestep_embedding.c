/*
 * timestep_embedding.c — sinusoidal timestep embedding (CPU), as in
 * improved-diffusion's timestep_embedding (after the Transformer's positional
 * encoding): half = dim/2, f_i = exp(−ln(max_period)·i/half),
 * out[n] = [cos(t_n f_0), …, cos(t_n f_{half−1}), sin(t_n f_0), …].
 * Computed in float64 and rounded once, so CUDA (also float64) agrees to
 * float32 rounding.
 */
#include <math.h>

#include "../core/timestep_embedding.h"

void D4J_CPU(timestep_embedding)(float* out, const int32_t* t, int64_t batch, int64_t dim, float max_period) {
    int64_t half = dim / 2;
    for (int64_t n = 0; n < batch; n++)
        for (int64_t i = 0; i < half; i++) {
            double arg = (double)t[n] * exp(-log((double)max_period) * (double)i / (double)half);
            out[n * dim + i] = (float)cos(arg);
            out[n * dim + half + i] = (float)sin(arg);
        }
}
