package org.diffusion4j.ops;

import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.Handles;
import org.diffusion4j.internal.Native;

/**
 * The reparameterisation trick (Kingma &amp; Welling 2014, eq. 4) for a diagonal Gaussian latent:
 * z = μ + e^{ℓ/2} ε from moments (N, H, W, 2C) (C means, then C log-variances, ℓ clamped as
 * {@link GaussianKl} does), ε from the context's Philox stream.
 */
public final class LatentSample {
    private LatentSample() {}

    /** z (N, H, W, C) = μ + e^{ℓ/2} ε with ε written into eps (its stream advances); eps null: the mode z = μ. */
    public static void forward(Context ctx, Tensor z, Tensor eps, Tensor moments) {
        Objects.requireNonNull(ctx, "ctx");
        Objects.requireNonNull(z, "z");
        Objects.requireNonNull(moments, "moments");
        Native.check(D4jNative.d4j_latent_sample_forward(Handles.ctx(ctx), Handles.tensor(z),
                eps == null ? null : Handles.tensor(eps), Handles.tensor(moments)), ctx, z, eps, moments);
    }

    /** Adds into dmoments: dμ += dz, dℓ += ½ dz e^{ℓ/2} ε (nothing for ℓ when eps is null: the mode). */
    public static void backward(Context ctx, Tensor dmoments, Tensor dz, Tensor eps, Tensor moments) {
        Objects.requireNonNull(ctx, "ctx");
        Objects.requireNonNull(dmoments, "dmoments");
        Objects.requireNonNull(dz, "dz");
        Objects.requireNonNull(moments, "moments");
        Native.check(D4jNative.d4j_latent_sample_backward(Handles.ctx(ctx), Handles.tensor(dmoments), Handles.tensor(dz),
                eps == null ? null : Handles.tensor(eps), Handles.tensor(moments)), ctx, dmoments, dz, eps, moments);
    }
}
