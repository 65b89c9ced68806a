package org.diffusion4j.ops;

import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.Handles;
import org.diffusion4j.internal.Native;

/** L_simple's loss: mean((pred − target)²) into a one-element tensor, with dL/dpred. */
public final class MseLoss {
    private MseLoss() {}

    /** loss (one element) = mean((pred − target)²); dpred (or null) = 2(pred − target)/numel. */
    public static void forward(Context ctx, Tensor loss, Tensor dpred, Tensor pred, Tensor target) {
        Objects.requireNonNull(ctx, "ctx");
        Native.check(D4jNative.d4j_mse_loss(Handles.ctx(ctx), Handles.tensor(Objects.requireNonNull(loss, "loss")),
                dpred == null ? null : Handles.tensor(dpred), Handles.tensor(Objects.requireNonNull(pred, "pred")),
                Handles.tensor(Objects.requireNonNull(target, "target"))));
    }
}
