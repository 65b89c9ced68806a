package org.diffusion4j.ops;

import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.Handles;
import org.diffusion4j.internal.Native;

/**
 * L_simple's loss, optionally weighted per sample (SNR weighting, min-SNR, ...): into a
 * one-element tensor, with dL/dpred; the sum in float64 in a fixed order on both backends.
 */
public final class MseLoss {
    private MseLoss() {}

    /** loss (one element) = mean((pred − target)²); dpred (or null) = 2(pred − target)/numel. */
    public static void forward(Context ctx, Tensor loss, Tensor dpred, Tensor pred, Tensor target) {
        forward(ctx, loss, dpred, pred, target, null);
    }

    /**
     * loss = (1/numel) Σ_n w_n Σ_j (pred − target)² over the samples n of dimension 0;
     * dpred (or null) = 2 w_n (pred − target)/numel. weights: one finite value ≥ 0 per sample,
     * or null for all 1 (the plain mean).
     */
    public static void forward(Context ctx, Tensor loss, Tensor dpred, Tensor pred, Tensor target, float[] weights) {
        Objects.requireNonNull(ctx, "ctx");
        Objects.requireNonNull(loss, "loss");
        Objects.requireNonNull(pred, "pred");
        Objects.requireNonNull(target, "target");
        if (weights != null) {
            Axpby.perSample(weights, "weights", pred);
            for (int n = 0; n < weights.length; n++) {
                if (weights[n] < 0) {
                    throw new IllegalArgumentException("weights[" + n + "] is " + weights[n] + "; it must be >= 0");
                }
            }
        }
        Native.check(D4jNative.d4j_mse_loss(Handles.ctx(ctx), Handles.tensor(loss),
                dpred == null ? null : Handles.tensor(dpred), Handles.tensor(pred), Handles.tensor(target), weights), ctx, loss, dpred, pred, target);
    }
}
