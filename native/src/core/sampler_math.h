/*
 * sampler_math.h — one element of the reverse-process update, shared by the
 * CPU and CUDA backends (see d4j_sampler_step in d4j.h for the equations).
 */
#ifndef D4J_SAMPLER_MATH_H
#define D4J_SAMPLER_MATH_H

#include "d4j.h"
#include "hd.h"

/* e: the model's ε (conditional); u: unconditional ε or ignored; z: fresh N(0, 1) */
D4J_HD float d4j_sampler_update(float x, float e, float u, float z, const d4j_step_coefficients* c, int guided) {
    /* classifier-free guidance (Ho & Salimans 2022): ε̃ = (w + 1) ε(x, y) − w ε(x) */
    float eps = guided ? fmaf(D4J_ADD(c->guidance, 1.0f), e, D4J_MUL(-c->guidance, u)) : e;
    /* x̂_0 = (x_t − √(1−ᾱ_t) ε̃) / √ᾱ_t  (DDPM eq. 15), optionally clipped to the data range */
    float x0 = D4J_MUL(fmaf(-c->sqrt_one_minus_alpha_bar, eps, x), c->recip_sqrt_alpha_bar);
    if (c->clip_x0) {
        x0 = fminf(1.0f, fmaxf(-1.0f, x0));
        /* the ε the clipped x̂_0 implies (as improved-diffusion's DDIM does): without it DDIM's
         * direction term keeps the unclipped ε̃, which strong guidance drives to saturated images */
        eps = D4J_MUL(fmaf(-c->sqrt_alpha_bar, x0, x), c->recip_sqrt_one_minus_alpha_bar);
    }
    /* x_{t−1} = c0 x̂_0 + c1 x_t + c2 ε̃ + σ z: DDPM's posterior mean (eq. 7) with c2 = 0,
     * or DDIM's generalized step (Song et al. eq. 12) with c1 = 0 */
    float out = fmaf(c->coef_x0, x0, D4J_MUL(c->coef_xt, x));
    out = fmaf(c->coef_eps, eps, out);
    return fmaf(c->sigma, z, out);
}

#endif /* D4J_SAMPLER_MATH_H */
