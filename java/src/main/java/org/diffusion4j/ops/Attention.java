package org.diffusion4j.ops;

import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.Handles;
import org.diffusion4j.internal.Native;

/**
 * Fused multi-head self-attention over the tokens of a feature map: qkv (N, L, 3C) or
 * (N, H, W, 3C) with channels [q | k | v], head h on channels [hD, (h+1)D), D = C/heads;
 * out has qkv's leading dims and C channels, out = softmax(q kᵀ/√D) v per head; lse
 * (N, heads, L) keeps the softmax normalizers so the backward recomputes, never stores, the
 * attention matrix. heads must divide C; on CUDA the head size D is at most 128. Bad shapes and
 * values throw {@link org.diffusion4j.D4jException} naming them.
 */
public final class Attention {
    private Attention() {}

    /** out (qkv's leading dims, C channels) and lse (N, heads, L) overwritten. */
    public static void forward(Context ctx, Tensor out, Tensor lse, Tensor qkv, int heads) {
        Objects.requireNonNull(ctx, "ctx");
        Native.check(D4jNative.d4j_attention_forward(Handles.ctx(ctx), Handles.tensor(Objects.requireNonNull(out, "out")),
                Handles.tensor(Objects.requireNonNull(lse, "lse")), Handles.tensor(Objects.requireNonNull(qkv, "qkv")),
                heads), ctx, out, lse, qkv);
    }

    /** dqkv (qkv's shape) overwritten with the gradient for q, k and v. */
    public static void backward(Context ctx, Tensor dqkv, Tensor dout, Tensor qkv, Tensor out, Tensor lse, int heads) {
        Objects.requireNonNull(ctx, "ctx");
        Native.check(D4jNative.d4j_attention_backward(Handles.ctx(ctx),
                Handles.tensor(Objects.requireNonNull(dqkv, "dqkv")), Handles.tensor(Objects.requireNonNull(dout, "dout")),
                Handles.tensor(Objects.requireNonNull(qkv, "qkv")), Handles.tensor(Objects.requireNonNull(out, "out")),
                Handles.tensor(Objects.requireNonNull(lse, "lse")), heads), ctx, dqkv, dout, qkv, out, lse);
    }
}
