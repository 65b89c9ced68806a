package org.diffusion4j.ops;

import java.util.Arrays;
import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.Handles;
import org.diffusion4j.internal.Native;

/**
 * A classifier's loss: the mean softmax cross-entropy of logits (N, K) against integer labels,
 * into a one-element tensor, with dL/dlogits. Stable at any scale (each row's maximum is
 * subtracted before exponentiating; the loss is the log-sum-exp minus the label's logit); the
 * rows' losses are summed in float64 in a fixed order on both backends.
 */
public final class SoftmaxCrossEntropy {
    private SoftmaxCrossEntropy() {}

    /**
     * loss (one element) = (1/N) Σ_n −log softmax(logits_n)[labels[n]]; dlogits (or null) =
     * (softmax − onehot)/N, overwritten (it may be logits). labels: one class in [0, K) per row.
     *
     * @throws IllegalArgumentException naming a label out of range or a label count that is not N
     */
    public static void forward(Context ctx, Tensor loss, Tensor dlogits, Tensor logits, int[] labels) {
        Objects.requireNonNull(ctx, "ctx");
        Objects.requireNonNull(loss, "loss");
        Objects.requireNonNull(logits, "logits");
        Objects.requireNonNull(labels, "labels");
        if (logits.ndim() != 2) {
            throw new IllegalArgumentException("logits has shape " + Arrays.toString(logits.shape())
                    + "; it must be (N, K)");
        }
        int n = logits.dim(0);
        int k = logits.dim(1);
        if (labels.length != n) {
            throw new IllegalArgumentException("labels has " + labels.length + " entries but logits has " + n + " rows");
        }
        for (int i = 0; i < n; i++) {
            if (labels[i] < 0 || labels[i] >= k) {
                throw new IllegalArgumentException("labels[" + i + "] is " + labels[i] + "; it must be in [0, " + k
                        + ") (K = " + k + " classes)");
            }
        }
        Native.check(D4jNative.d4j_softmax_cross_entropy(Handles.ctx(ctx), Handles.tensor(loss),
                dlogits == null ? null : Handles.tensor(dlogits), Handles.tensor(logits), labels), ctx, loss, dlogits, logits);
    }
}
