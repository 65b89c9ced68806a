package org.diffusion4j.ops;

import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.Handles;
import org.diffusion4j.internal.Native;

/**
 * The KL term of a VAE's ELBO for a diagonal Gaussian latent q(z|x) = N(μ, diag e^ℓ) against the
 * prior N(0, I) (Kingma &amp; Welling 2014, appendix B): moments (N, H, W, 2C) hold per position the C
 * means then the C log-variances (ℓ clamped to [−30, 20], where its gradient is 0).
 */
public final class GaussianKl {
    /** The log-variance clamp, as latent diffusion's DiagonalGaussianDistribution. */
    public static final float LOGVAR_MIN = -30f;
    public static final float LOGVAR_MAX = 20f;

    private GaussianKl() {}

    /**
     * loss (one element) = (weight/N) Σ_n Σ ½(μ² + e^ℓ − 1 − ℓ), the per-image KL in nats averaged
     * over the batch and weighted; dmoments (or null; it may be moments) is overwritten with
     * (weight/N)·μ for the means and (weight/N)·½(e^ℓ − 1) for the log-variances.
     */
    public static void forward(Context ctx, Tensor loss, Tensor dmoments, Tensor moments, float weight) {
        Objects.requireNonNull(ctx, "ctx");
        Objects.requireNonNull(loss, "loss");
        Objects.requireNonNull(moments, "moments");
        if (!(weight >= 0) || Float.isInfinite(weight)) {
            throw new IllegalArgumentException("KL weight is " + weight + "; it must be finite and >= 0");
        }
        Native.check(D4jNative.d4j_gaussian_kl(Handles.ctx(ctx), Handles.tensor(loss),
                dmoments == null ? null : Handles.tensor(dmoments), Handles.tensor(moments), weight), ctx, loss, dmoments,
                moments);
    }
}
