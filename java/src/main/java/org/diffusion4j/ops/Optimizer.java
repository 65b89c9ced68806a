package org.diffusion4j.ops;

import java.util.List;
import java.util.Objects;
import org.bytedeco.javacpp.PointerPointer;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.Handles;
import org.diffusion4j.internal.Native;

/**
 * Multi-tensor optimizer steps: AdamW (PyTorch's formulation), global-norm gradient clipping
 * (PyTorch's clip_grad_norm_, the norm kept on the device) and the exponential moving average
 * of weights. Lists are matched by index, must be the same non-zero length and pairwise the same
 * shape; a tensor an op writes (params, m, v; ema; clipped grads) may appear only once across its
 * lists. On CUDA each op launches one kernel per 32 tensors. Bad values throw
 * {@link org.diffusion4j.D4jException} naming them.
 *
 * <p>One class for the three ops, each still under its own name everywhere: {@link #adamwStep}
 * calls d4j_adamw_step (native/src/ops/adamw.c, cpu/adamw.c, cuda/adamw.cu), {@link #clipGradNorm}
 * d4j_clip_grad_norm (…/clip_grad_norm.{c,cu}) and {@link #emaUpdate} d4j_ema_update
 * (…/ema.{c,cu}). They share the tensor-list checks and marshalling below, and a training step
 * calls them together (clip, step, average), so they stay one Java entry point.
 */
public final class Optimizer {
    private Optimizer() {}

    /** AdamW's hyper-parameters; PyTorch's defaults via {@link #defaults(float)}. */
    public record AdamW(float lr, float beta1, float beta2, float eps, float weightDecay) {
        public static AdamW defaults(float lr) {
            return new AdamW(lr, 0.9f, 0.999f, 1e-8f, 0.01f);
        }
    }

    /**
     * One AdamW step (step counts from 1) updating params, m and v in place: p ← p − lr·wd·p, then
     * Adam with bias corrections 1 − β^step. lr, weightDecay ≥ 0; β1, β2 in [0, 1); eps &gt; 0.
     */
    public static void adamwStep(Context ctx, List<Tensor> params, List<Tensor> m, List<Tensor> v, List<Tensor> grads,
            AdamW h, long step) {
        Objects.requireNonNull(ctx, "ctx");
        Objects.requireNonNull(h, "h");
        int count = sameSize(params, "params", m, "m", v, "v", grads, "grads");
        try (PointerPointer<D4jNative.d4j_tensor> p = handles(params);
                PointerPointer<D4jNative.d4j_tensor> pm = handles(m);
                PointerPointer<D4jNative.d4j_tensor> pv = handles(v);
                PointerPointer<D4jNative.d4j_tensor> pg = handles(grads)) {
            Native.check(D4jNative.d4j_adamw_step(Handles.ctx(ctx), p, pm, pv, pg, count, h.lr(), h.beta1(), h.beta2(),
                    h.eps(), h.weightDecay(), step), ctx, params, m, v, grads);
        }
    }

    /**
     * Writes the global L2 norm of grads into {@code norm} (one element) and scales every grad by
     * min(1, maxNorm / (norm + 1e-6)); maxNorm &gt; 0. Nothing is read back to the host.
     */
    public static void clipGradNorm(Context ctx, Tensor norm, List<Tensor> grads, float maxNorm) {
        Objects.requireNonNull(ctx, "ctx");
        int count = sameSize(grads, "grads");
        try (PointerPointer<D4jNative.d4j_tensor> pg = handles(grads)) {
            Native.check(D4jNative.d4j_clip_grad_norm(Handles.ctx(ctx), Handles.tensor(Objects.requireNonNull(norm, "norm")),
                    pg, count, maxNorm), ctx, norm, grads);
        }
    }

    /** ema ← decay·ema + (1 − decay)·params, decay in [0, 1]. */
    public static void emaUpdate(Context ctx, List<Tensor> ema, List<Tensor> params, float decay) {
        Objects.requireNonNull(ctx, "ctx");
        int count = sameSize(ema, "ema", params, "params");
        try (PointerPointer<D4jNative.d4j_tensor> pe = handles(ema);
                PointerPointer<D4jNative.d4j_tensor> pp = handles(params)) {
            Native.check(D4jNative.d4j_ema_update(Handles.ctx(ctx), pe, pp, count, decay), ctx, ema, params);
        }
    }

    private static int sameSize(Object... listsAndNames) {
        int size = -1;
        for (int i = 0; i < listsAndNames.length; i += 2) {
            List<?> l = (List<?>) Objects.requireNonNull(listsAndNames[i], (String) listsAndNames[i + 1]);
            if (size >= 0 && l.size() != size) {
                throw new IllegalArgumentException(listsAndNames[i + 1] + " has " + l.size() + " tensors but "
                        + listsAndNames[1] + " has " + size);
            }
            size = l.size();
        }
        if (size == 0) {
            throw new IllegalArgumentException(listsAndNames[1] + " is empty");
        }
        return size;
    }

    private static PointerPointer<D4jNative.d4j_tensor> handles(List<Tensor> tensors) {
        PointerPointer<D4jNative.d4j_tensor> p = new PointerPointer<>(tensors.size());
        for (int i = 0; i < tensors.size(); i++) {
            p.put(i, Handles.tensor(Objects.requireNonNull(tensors.get(i), "tensor " + i)));
        }
        return p;
    }
}
