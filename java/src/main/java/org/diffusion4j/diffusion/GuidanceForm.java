package org.diffusion4j.diffusion;

/** How a sampler applies classifier guidance (Dhariwal &amp; Nichol 2021, Algorithms 1 and 2). */
public enum GuidanceForm {
    /** x_{t−1} ~ N(μ + s Σ ∇ log p_φ(y | x_t), Σ): DDPM's ancestral steps. */
    MEAN,
    /** ε̂ = ε_θ − s √(1 − ᾱ_t) ∇ log p_φ(y | x_t), then the usual update: DDIM's steps. */
    SCORE
}
