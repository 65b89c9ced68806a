/*
 * sampler_math.h — one element of the reverse-process update, shared by the
 * CPU and CUDA backends (see d4j_sampler_step in d4j.h for the equations),
 * and the learned variance's log Σ that d4j_variance_shift uses too.
 * The model's output o enters only through the caller's linear maps to x̂_0
 * and ε̂, so ε-, x_0- and v-prediction run the same code.
 */
#ifndef D4J_SAMPLER_MATH_H
#define D4J_SAMPLER_MATH_H

#include "d4j.h"
#include "expf.h" /* d4j_expf: the same bits on CPU and CUDA */
#include "hd.h"

/* log Σ from the model's raw variance output r, Improved DDPM's learned range (Nichol & Dhariwal
 * eq. 15): log Σ = f log_var_max + (1 − f) log_var_min with f = (r + 1)/2, not clamped (as in
 * improved-diffusion); r = −1 gives f = 0 and log_var_min exactly */
D4J_HD float d4j_learned_log_var(float r, float log_var_max, float log_var_min) {
    float f = D4J_MUL(D4J_ADD(r, 1.0f), 0.5f);
    return fmaf(f, log_var_max, D4J_MUL(D4J_SUB(1.0f, f), log_var_min));
}

/* σ_i = σ·exp(½ log Σ) with log Σ (log β_t, log β̃_t) of the learned range above, σ the step's
 * noise scale */
D4J_HD float d4j_learned_sigma(float r, const d4j_step_coefficients* c) {
    float log_var = d4j_learned_log_var(r, c->log_var_max, c->log_var_min);
    return D4J_MUL(c->sigma, d4j_expf(D4J_MUL(0.5f, log_var)));
}

/* e: the model's output (conditional); u: unconditional output or ignored; r: the raw variance
 * output when learned, else ignored (σ_i = c->sigma); z: the keyed N(0, 1) or 0 */
D4J_HD float d4j_sampler_update(float x, float e, float u, float r, float z, const d4j_step_coefficients* c,
                                int guided, int learned) {
    /* classifier-free guidance (Ho & Salimans 2022): o = (w + 1) out(x, y) − w out(x) */
    float o = guided ? fmaf(D4J_ADD(c->guidance, 1.0f), e, D4J_MUL(-c->guidance, u)) : e;
    /* x̂_0 and ε̂ are linear in (x_t, o): for ε-prediction x̂_0 = (x_t − √(1−ᾱ) o)/√ᾱ (DDPM eq. 15) and
     * ε̂ = o, which (eps_from_xt, eps_from_out) = (0, 1) returns exactly */
    float x0 = fmaf(c->x0_from_out, o, D4J_MUL(c->x0_from_xt, x));
    float eps = fmaf(c->eps_from_out, o, D4J_MUL(c->eps_from_xt, x));
    if (c->clip_x0) {
        x0 = fminf(1.0f, fmaxf(-1.0f, x0));
        /* the ε the clipped x̂_0 implies (as improved-diffusion's DDIM does): without it DDIM's
         * direction term keeps the unclipped ε̂, which strong guidance drives to saturated images */
        eps = D4J_MUL(fmaf(-c->sqrt_alpha_bar, x0, x), c->recip_sqrt_one_minus_alpha_bar);
    }
    /* x_{t−1} = c0 x̂_0 + c1 x_t + c2 ε̂ + σ_i z: DDPM's posterior mean (eq. 7) with c2 = 0,
     * or DDIM's generalized step (Song et al. eq. 12) with c1 = 0 */
    float out = fmaf(c->coef_x0, x0, D4J_MUL(c->coef_xt, x));
    out = fmaf(c->coef_eps, eps, out);
    return fmaf(learned ? d4j_learned_sigma(r, c) : c->sigma, z, out);
}

#endif /* D4J_SAMPLER_MATH_H */
