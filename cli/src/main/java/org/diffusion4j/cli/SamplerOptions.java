package org.diffusion4j.cli;

import java.util.Locale;
import org.diffusion4j.diffusion.DdimSampler;
import org.diffusion4j.diffusion.DdpmSampler;
import org.diffusion4j.diffusion.GaussianDiffusion;
import org.diffusion4j.diffusion.Sampler;
import org.diffusion4j.diffusion.Spacing;
import org.diffusion4j.diffusion.VarianceType;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** The sampler options of {@code d4j sample} and {@code d4j evaluate}, and the sampler they build. */
final class SamplerOptions {
    /** The samplers; lower-case names on the command line. */
    enum Kind {
        DDIM, DDPM;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    @Option(names = "--sampler", paramLabel = "S", description = "ddim (DDIM; deterministic at --eta 0) or ddpm (ancestral "
            + "sampling with the checkpoint's variance, respaced to --steps).")
    Kind kind = Kind.DDIM;

    @Option(names = "--steps", paramLabel = "N", description = "Steps, from 1 to the checkpoint's T (default: 50 for ddim, "
            + "T for ddpm; fewer DDPM steps respace the chain).")
    Integer steps;

    @Option(names = "--spacing", paramLabel = "KIND", description = "Which timesteps S steps visit: linspace, leading or "
            + "trailing, as diffusers names them (default: trailing for ddim, linspace for ddpm).")
    String spacing;

    @Option(names = "--eta", paramLabel = "ETA", description = "DDIM's eta: 0 deterministic, 1 DDPM-like noise.")
    double eta = 0;

    @Option(names = "--variance", paramLabel = "KIND", description = "DDPM's reverse variance: fixed_beta or "
            + "fixed_beta_tilde (default: the checkpoint's, which may be learned).")
    String variance;

    @Option(names = "--guidance", paramLabel = "W", description = "Classifier-free guidance weight w "
            + "(o = (w+1) o(x,y) - w o(x)); 0 is no guidance.")
    double guidance = 3.0;

    @Option(names = "--no-clip", description = "Do not clip the predicted x_0 to [-1, 1] at each step (clipping, and "
            + "using the noise the clipped x_0 implies, is the default).")
    boolean noClip;

    /** Checks the values that need no checkpoint. */
    void validate(CommandSpec spec) {
        Check.nonNegative(spec, "--eta", eta);
        Check.nonNegative(spec, "--guidance", guidance);
        if (spacing != null) {
            Check.oneOf(spec, "--spacing", spacing, "linspace", "leading", "trailing");
        }
        if (variance != null) {
            Check.oneOf(spec, "--variance", variance, "fixed_beta", "fixed_beta_tilde");
        }
        if (steps != null) {
            Check.atLeast(spec, "--steps", steps, 1);
        }
    }

    /** The sampler over the checkpoint's process (call {@link #validate} first). */
    Sampler build(CommandSpec spec, GaussianDiffusion diffusion) {
        int tMax = diffusion.timesteps();
        int nSteps = steps != null ? steps : kind == Kind.DDIM ? Math.min(50, tMax) : tMax;
        if (nSteps > tMax) {
            throw Check.invalid(spec, "--steps", nSteps, "this checkpoint's T is " + tMax);
        }
        if (variance != null && diffusion.variance() == VarianceType.LEARNED_RANGE) {
            throw Check.invalid(spec, "--variance", variance, "this checkpoint's network learned its variance (its "
                    + "output has variance channels); sample it with its own variance");
        }
        Spacing sp = Spacing.ofId(spacing != null ? spacing : kind == Kind.DDIM ? "trailing" : "linspace");
        return switch (kind) {
            case DDIM -> new DdimSampler(diffusion, nSteps, eta, sp, guidance, !noClip);
            case DDPM -> new DdpmSampler(variance == null ? diffusion : diffusion.withVariance(VarianceType.ofId(variance)),
                    nSteps, sp, guidance, !noClip);
        };
    }
}
