package org.diffusion4j.ops;

import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.Handles;
import org.diffusion4j.internal.Native;

/**
 * Sinusoidal timestep embedding (improved-diffusion's {@code timestep_embedding}): out (N, dim),
 * dim even, out[n] = [cos(t_n f_i), sin(t_n f_i)] with f_i = max_period^(−i/(dim/2)).
 */
public final class TimestepEmbedding {
    /** The Transformer's and improved-diffusion's default. */
    public static final float DEFAULT_MAX_PERIOD = 10000f;

    private TimestepEmbedding() {}

    public static void forward(Context ctx, Tensor out, int[] t, float maxPeriod) {
        Objects.requireNonNull(ctx, "ctx");
        Objects.requireNonNull(t, "t");
        Native.check(D4jNative.d4j_timestep_embedding(Handles.ctx(ctx),
                Handles.tensor(Objects.requireNonNull(out, "out")), t, t.length, maxPeriod), ctx, out);
    }
}
