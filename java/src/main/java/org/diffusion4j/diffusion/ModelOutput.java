package org.diffusion4j.diffusion;

/**
 * What the network predicts from (x_t, t). Each is an affine function of the others given x_t
 * (see {@link GaussianDiffusion#convert}), so every sampler works with every choice.
 */
public enum ModelOutput {
    /** The noise ε of x_t = √ᾱ x_0 + √(1−ᾱ) ε (DDPM). */
    EPSILON("epsilon"),
    /** The clean image x_0. */
    X0("x0"),
    /** The velocity v = √ᾱ ε − √(1−ᾱ) x_0 (Salimans and Ho 2022, progressive distillation). */
    V("v");

    private final String id;

    ModelOutput(String id) {
        this.id = id;
    }

    /** The name written into checkpoints and accepted on the command line. */
    public String id() {
        return id;
    }

    /** The value whose {@link #id()} is {@code id}. */
    public static ModelOutput ofId(String id) {
        for (ModelOutput m : values()) {
            if (m.id.equals(id)) {
                return m;
            }
        }
        throw new IllegalArgumentException("model output \"" + id + "\": expected epsilon, x0 or v");
    }
}
