package org.diffusion4j.nn;

import org.diffusion4j.Context;
import org.diffusion4j.Tensor;

/** A single-op layer's state on one context: its buffers and the input its backward pass needs. */
final class LayerState extends Module.State {
    Tensor input;

    LayerState(Context ctx) {
        super(ctx);
    }
}
