package org.diffusion4j.diffusion;

/** The training objective. */
public enum LossType {
    /** DDPM's L_simple: the unweighted mean squared error of the model output against its target. */
    SIMPLE("simple"),
    /**
     * Min-SNR-γ weighting (Hang et al. 2023): each sample's squared error weighted so that the
     * effective x_0-space weight is min(SNR(t), γ), SNR = ᾱ/(1 − ᾱ): min(SNR, γ)/SNR for ε,
     * min(SNR, γ) for x_0, min(SNR, γ)/(SNR + 1) for v.
     */
    MIN_SNR("min_snr"),
    /**
     * Improved DDPM's L_hybrid = L_simple + λ L_vlb: the slot for learned variance, not yet
     * implemented (the diffusion refuses it).
     */
    HYBRID("hybrid");

    private final String id;

    LossType(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static LossType ofId(String id) {
        for (LossType l : values()) {
            if (l.id.equals(id)) {
                return l;
            }
        }
        throw new IllegalArgumentException("loss \"" + id + "\": expected simple, min_snr or hybrid");
    }
}
