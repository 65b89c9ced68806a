package org.diffusion4j;

/**
 * Derives one independent 64-bit key per consumer from a user's seed, so that weight
 * initialisation, training noise, the trainer's random choices, data order, sampling and evaluation never
 * share Philox words: training for a while and then sampling on the same context gives the same
 * images as sampling on a fresh one, and the first training steps' noise does not reuse the words
 * that initialised the weights. The key is SplitMix64's finaliser (Steele, Lea, Flood 2014) of
 * the seed mixed with a per-purpose constant; the constants are fixed forever (checkpoints and
 * reproducibility depend on them).
 */
public final class Seeds {
    private Seeds() {}

    /** What a derived key is for. */
    public enum Purpose {
        WEIGHT_INIT(0x57E1_6471_0000_0001L),
        TRAINING_NOISE(0x7241_1E00_0000_0002L),
        /** The trainer's per-step choices: timesteps and dropped labels. */
        TRAINING_CHOICES(0x7241_C401_0000_0003L),
        DATA_ORDER(0xDA7A_0DE5_0000_0004L),
        SAMPLING(0x5A3F_1E00_0000_0005L),
        /** The variational bound's draws of x_t ~ q(x_t | x_0) (Philox stream t, id = the image's index). */
        BOUND_NOISE(0xB0D0_1E00_0000_0006L),
        /** The variational bound's stratified timesteps. */
        BOUND_TIMESTEPS(0xB0D0_7135_0000_0007L),
        /** The noise of a noisy classifier's held-out accuracy at timestep t (Philox stream t, id = the image's index). */
        NOISY_ACCURACY(0xACC0_1E00_0000_0008L);

        private final long constant;

        Purpose(long constant) {
            this.constant = constant;
        }
    }

    /** The key of {@code purpose} under {@code seed}. */
    public static long derive(long seed, Purpose purpose) {
        return mix(seed ^ mix(purpose.constant));
    }

    /** SplitMix64's output function: a bijection of 64-bit words with full avalanche. */
    static long mix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
