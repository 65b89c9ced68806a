package org.diffusion4j.ops;

import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.Handles;
import org.diffusion4j.internal.Native;

/**
 * Per-sample keyed Gaussian noise: out = a·x + b·z, z ~ N(0, I), where the noise of sample n
 * depends only on (key, stream, ids[n]) — never on the batch size, the sample's position in the
 * batch or the device. Element j of a sample is normal j mod 4 of the Philox4x32-10 block with
 * counter (j/4, stream, low and high words of the id) under {@code key}. The context's own
 * random stream (seed, offset) is neither used nor advanced.
 */
public final class KeyedNoise {
    private KeyedNoise() {}

    /**
     * out = a·x + b·z, or b·z when x is null; out and x (N, ...) alike, out may be x.
     *
     * @param ids one id per sample: {@code ids.length == out.dim(0)}
     */
    public static void apply(Context ctx, Tensor out, Tensor x, float a, float b, long key, int stream, long[] ids) {
        Objects.requireNonNull(ctx, "ctx");
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(ids, "ids");
        if (!Float.isFinite(a) || !Float.isFinite(b)) {
            throw new IllegalArgumentException("a is " + a + " and b is " + b + "; both must be finite");
        }
        SamplerStep.checkIds(ids, out, "out");
        Native.check(D4jNative.d4j_keyed_noise(Handles.ctx(ctx), Handles.tensor(out),
                x == null ? null : Handles.tensor(x), a, b, key, stream, ids), ctx, out, x);
    }
}
