package org.diffusion4j.cli;

import java.util.List;
import java.util.Locale;
import org.diffusion4j.diffusion.AnnealedLangevin;
import org.diffusion4j.diffusion.DdimSampler;
import org.diffusion4j.diffusion.DdpmSampler;
import org.diffusion4j.diffusion.GaussianDiffusion;
import org.diffusion4j.diffusion.ImageSampler;
import org.diffusion4j.diffusion.PredictorCorrector;
import org.diffusion4j.diffusion.Sampler;
import org.diffusion4j.diffusion.ScoreMatching;
import org.diffusion4j.diffusion.Spacing;
import org.diffusion4j.diffusion.VarianceType;
import org.diffusion4j.train.Checkpoint;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * The sampler options of {@code d4j sample} and {@code d4j evaluate}, and the sampler they build:
 * DDIM or DDPM for a diffusion checkpoint (with a Langevin corrector after each step when
 * --corrector-steps is given), annealed Langevin dynamics for a score-matching (NCSN) one.
 */
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

    @Option(names = "--corrector-steps", paramLabel = "M", description = "Predictor-corrector sampling of a diffusion "
            + "checkpoint: M Langevin corrector steps (its score -eps/sqrt(1 - abar)) before each step of the sampler; "
            + "0 is none.")
    int correctorSteps = 0;

    @Option(names = "--snr", paramLabel = "R", description = "The corrector's target signal-to-noise ratio r, which "
            + "sets its step 2 alpha (r |z| / |s|)^2.")
    double snr = PredictorCorrector.DEFAULT_SNR;

    @Option(names = "--langevin-steps", paramLabel = "T", description = "Annealed Langevin dynamics of a score (ncsn) "
            + "checkpoint: T steps at each noise level (NCSNv2: 5).")
    int langevinSteps = 5;

    @Option(names = "--step-size", paramLabel = "EPS", description = "Annealed Langevin's step at the smallest level, "
            + "alpha_i = eps sigma_i^2 / sigma_L^2 (default: NCSNv2's technique 4 for the checkpoint's levels and T).")
    Double stepSize;

    @Option(names = "--no-denoise", description = "End annealed Langevin without the denoising step x + sigma_L^2 s(x, "
            + "sigma_L) (Tweedie's formula).")
    boolean noDenoise;

    /** The options that only a diffusion checkpoint's samplers take, and those only a score checkpoint's. */
    private static final List<String> DIFFUSION_ONLY = List.of("--sampler", "--steps", "--spacing", "--eta", "--variance",
            "--no-clip", "--corrector-steps", "--snr");
    private static final List<String> SCORE_ONLY = List.of("--langevin-steps", "--step-size", "--no-denoise");

    /** Checks the values that need no checkpoint. */
    void validate(CommandSpec spec) {
        Check.atLeast(spec, "--corrector-steps", correctorSteps, 0);
        Check.positive(spec, "--snr", snr);
        Check.atLeast(spec, "--langevin-steps", langevinSteps, 1);
        if (stepSize != null) {
            Check.positive(spec, "--step-size", stepSize);
        }
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

    /**
     * The sampler the options name for a checkpoint (call {@link #validate} first): annealed
     * Langevin for a score checkpoint, else {@link #build(CommandSpec, GaussianDiffusion)} with
     * the corrector when --corrector-steps is given. Options of the other kind are refused.
     */
    ImageSampler build(CommandSpec spec, Checkpoint checkpoint) {
        if (checkpoint.isScoreModel()) {
            refuse(spec, DIFFUSION_ONLY, "a diffusion checkpoint's; this one is a score (ncsn) model, sampled by annealed "
                    + "Langevin dynamics");
            return langevin(spec, checkpoint.scoreMatching());
        }
        refuse(spec, SCORE_ONLY, "a score (ncsn) checkpoint's; this one is a diffusion model");
        return corrected(build(spec, checkpoint.diffusion(), checkpoint.latentSpace() == null));
    }

    /** The sampler with --corrector-steps Langevin corrector steps before each step, or itself at 0. */
    ImageSampler corrected(Sampler s) {
        return correctorSteps == 0 ? s : new PredictorCorrector(s, correctorSteps, snr);
    }

    /** Annealed Langevin over the process's levels with --langevin-steps, --step-size and --no-denoise. */
    AnnealedLangevin langevin(CommandSpec spec, ScoreMatching process) {
        double sMin = process.levels().sigmaMin();
        double eps;
        if (stepSize != null) {
            if (!(stepSize < 4 * sMin * sMin)) {
                throw Check.invalid(spec, "--step-size", stepSize, "it must be below 4 sigma_L^2 = " + 4 * sMin * sMin
                        + " for this checkpoint (sigma_L = " + sMin + "), where the chain stops contracting");
            }
            eps = stepSize;
        } else {
            eps = AnnealedLangevin.ncsnv2StepSize(process.levels(), langevinSteps);
        }
        return new AnnealedLangevin(process, langevinSteps, eps, !noDenoise, guidance);
    }

    private static void refuse(CommandSpec spec, List<String> options, String whose) {
        for (String o : options) {
            if (spec.commandLine().getParseResult().hasMatchedOption(o)) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), o + " is " + whose);
            }
        }
    }

    /** The DDIM or DDPM sampler over a diffusion process of images (call {@link #validate} first). */
    Sampler build(CommandSpec spec, GaussianDiffusion diffusion) {
        return build(spec, diffusion, true);
    }

    /**
     * The DDIM or DDPM sampler over a diffusion process; {@code pixels} false for latents, which
     * are not in [−1, 1] and so never have x̂_0 clipped.
     */
    Sampler build(CommandSpec spec, GaussianDiffusion diffusion, boolean pixels) {
        boolean clip = pixels && !noClip;
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
            case DDIM -> new DdimSampler(diffusion, nSteps, eta, sp, guidance, clip);
            case DDPM -> new DdpmSampler(variance == null ? diffusion : diffusion.withVariance(VarianceType.ofId(variance)),
                    nSteps, sp, guidance, clip);
        };
    }
}
