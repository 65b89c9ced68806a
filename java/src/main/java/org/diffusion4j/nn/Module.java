package org.diffusion4j.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;

/**
 * A piece of a network with an explicit forward and backward (no tape): it owns its parameters
 * and the activation buffers it writes, reused from call to call while the batch shape stays the
 * same, and keeps references to the inputs its backward needs. Not thread-safe: one module
 * instance serves one context's step at a time. Closing it frees everything it owns.
 */
public abstract class Module implements AutoCloseable {
    protected final Context ctx;
    private final String name;
    private final List<Param> params = new ArrayList<>();
    private final List<Module> children = new ArrayList<>();
    private final Map<String, Tensor> buffers = new HashMap<>();

    protected Module(Context ctx, String name) {
        this.ctx = ctx;
        this.name = name;
    }

    public String name() {
        return name;
    }

    protected Param param(String local, int... shape) {
        Param p = new Param(name + "." + local, Tensor.zeros(ctx, shape), Tensor.zeros(ctx, shape));
        params.add(p);
        return p;
    }

    protected <M extends Module> M child(M m) {
        children.add(m);
        return m;
    }

    /** The buffer {@code key}, reallocated only when the shape changes. */
    protected Tensor buffer(String key, int... shape) {
        Tensor t = buffers.get(key);
        if (t != null && Arrays.equals(t.shape(), shape)) {
            return t;
        }
        if (t != null) {
            t.close();
        }
        t = Tensor.empty(ctx, shape);
        buffers.put(key, t);
        return t;
    }

    /** Every parameter of this module and its children, in construction order. */
    public List<Param> parameters() {
        List<Param> all = new ArrayList<>(params);
        for (Module c : children) {
            all.addAll(c.parameters());
        }
        return all;
    }

    /** Sets every gradient to zero (backward passes accumulate into them). */
    public void zeroGrad() {
        for (Param p : parameters()) {
            p.grad().fill(0f);
        }
    }

    @Override
    public void close() {
        for (Module c : children) {
            c.close();
        }
        for (Param p : params) {
            p.value().close();
            p.grad().close();
        }
        buffers.values().forEach(Tensor::close);
        buffers.clear();
    }

    /** Uniform(−b, b) with b = 1/√fanIn, PyTorch's default for convolutions and linear layers. */
    protected static void initUniform(Tensor t, int fanIn) {
        float b = (float) (1.0 / Math.sqrt(fanIn));
        t.fillUniform(-b, b);
    }
}
