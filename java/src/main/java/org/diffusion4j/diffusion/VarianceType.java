package org.diffusion4j.diffusion;

/** How the reverse-process variance Σ_θ(x_t, t) = σ_t² I is set. */
public enum VarianceType {
    /** σ_t² = β_t: optimal for x_0 ~ N(0, I) (DDPM §3.2, the upper bound). */
    FIXED_BETA("fixed_beta"),
    /** σ_t² = β̃_t, the posterior variance: optimal for a deterministic x_0 (the lower bound). */
    FIXED_BETA_TILDE("fixed_beta_tilde"),
    /**
     * Improved DDPM's learned interpolation Σ = exp(v log β_t + (1 − v) log β̃_t), the network
     * giving v as a second set of channels. An interface only until improved DDPM lands: the
     * diffusion refuses to compute with it.
     */
    LEARNED_RANGE("learned_range");

    private final String id;

    VarianceType(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static VarianceType ofId(String id) {
        for (VarianceType v : values()) {
            if (v.id.equals(id)) {
                return v;
            }
        }
        throw new IllegalArgumentException("variance \"" + id + "\": expected fixed_beta, fixed_beta_tilde or learned_range");
    }
}
