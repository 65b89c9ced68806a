/*
 * latent_gaussian.h — the diagonal Gaussian latent N(μ, diag e^ℓ) shared by d4j_gaussian_kl and
 * d4j_latent_sample (d4j.h): the log-variance clamp and the per-element formulas, on host and device.
 */
#ifndef D4J_LATENT_GAUSSIAN_H
#define D4J_LATENT_GAUSSIAN_H

#include "expf.h"
#include "hd.h"

/* latent diffusion's clamp of ℓ: e^ℓ stays a normal float, e^{−30} ≈ 1e-13 */
#define D4J_LATENT_LOGVAR_MIN (-30.0f)
#define D4J_LATENT_LOGVAR_MAX 20.0f

D4J_HD float d4j_latent_logvar(float l) {
    return l < D4J_LATENT_LOGVAR_MIN ? D4J_LATENT_LOGVAR_MIN : l > D4J_LATENT_LOGVAR_MAX ? D4J_LATENT_LOGVAR_MAX : l;
}

/* g where ℓ is inside the clamp (the gradient passes), +0 where it is clamped */
D4J_HD float d4j_latent_logvar_grad(float l, float g) {
    return l >= D4J_LATENT_LOGVAR_MIN && l <= D4J_LATENT_LOGVAR_MAX ? g : 0.0f;
}

/* ½ (μ² + e^ℓ − 1 − ℓ), ℓ clamped: KL(N(μ, e^ℓ) ‖ N(0, 1)) of one element, in float64 */
D4J_HD double d4j_latent_kl_element(float mu, float l) {
    float lc = d4j_latent_logvar(l);
    return 0.5 * ((double)mu * mu + (double)d4j_expf(lc) - 1.0 - (double)lc);
}

/* ∂KL/∂ℓ = ½ (e^ℓ − 1), 0 where clamped */
D4J_HD float d4j_latent_kl_dlogvar(float l) {
    return d4j_latent_logvar_grad(l, D4J_MUL(0.5f, D4J_SUB(d4j_expf(d4j_latent_logvar(l)), 1.0f)));
}

/* e^{ℓ/2}, ℓ clamped */
D4J_HD float d4j_latent_std(float l) { return d4j_expf(D4J_MUL(0.5f, d4j_latent_logvar(l))); }

#endif /* D4J_LATENT_GAUSSIAN_H */
