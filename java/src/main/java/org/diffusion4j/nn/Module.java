package org.diffusion4j.nn;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.internal.Handles;
import org.diffusion4j.io.Safetensors;

/**
 * A piece of a network with an explicit forward and backward (no tape). The module owns its
 * parameters; everything a call writes — activations, scratch, the inputs its backward needs,
 * dropout masks — is a {@link State} kept on the call's {@link Context}, one per (module,
 * context), reused from call to call while the batch shape stays the same and freed when that
 * context closes (or by {@link #release}, or when the module closes).
 *
 * <p>Threads: the parameters can be shared by threads that each own a context. Forward passes
 * on different contexts may run at the same time, and a backward pass uses the state its own
 * context's last forward saved. Gradients, however, live in the shared {@link Param}s, which
 * belong to the context that built the module: training is single-context — a backward pass on
 * another context is refused by the native rule that an op writes only its own context's
 * tensors — and nothing may write the weights (loading, an optimiser step) while another thread
 * runs the module. On CUDA the native core also refuses reads of another context's tensors
 * (each context has its own stream), so sharing across contexts works on the CPU only for now.
 *
 * <p>The context a module is built on makes its parameters and must stay open while the module
 * is used; a call on a context of another device is refused. Closing the module frees its
 * parameters and the state it keeps on every context.
 */
public abstract class Module implements AutoCloseable {
    private final Device device;
    private final String name;
    private final List<Param> params = new ArrayList<>();
    private final List<Module> children = new ArrayList<>();
    // contexts that may hold a State of this module (weakly: a forgotten context stays collectable); guarded by itself
    private final List<WeakReference<Context>> contexts = new ArrayList<>();
    private final Context paramContext;
    private volatile boolean frozen;

    /** A module whose parameters are made on {@code ctx}. */
    protected Module(Context ctx, String name) {
        this.paramContext = Objects.requireNonNull(ctx, "ctx");
        this.device = ctx.device();
        this.name = name;
    }

    public String name() {
        return name;
    }

    /** The device of the parameters; calls run on contexts of this device. */
    public Device device() {
        return device;
    }

    protected Param param(String local, int... shape) {
        Param p = new Param(name + "." + local, Tensor.zeros(paramContext, shape), Tensor.zeros(paramContext, shape));
        params.add(p);
        return p;
    }

    protected <M extends Module> M child(M m) {
        children.add(m);
        return m;
    }

    /**
     * What one context's calls of a module write and keep: buffers by key, and (in subclasses)
     * the saved inputs of the last forward. Closing it frees the buffers.
     */
    protected static class State implements AutoCloseable {
        private final Context ctx;
        private final Map<String, Tensor> buffers = new HashMap<>();

        protected State(Context ctx) {
            this.ctx = ctx;
        }

        /** The buffer {@code key} on this state's context, reallocated only when the shape changes. */
        public Tensor buffer(String key, int... shape) {
            Tensor t = buffers.get(key);
            if (t != null && sameShape(t, shape)) {
                return t;
            }
            if (t != null) {
                t.close();
            }
            t = Tensor.empty(ctx, shape);
            buffers.put(key, t);
            return t;
        }

        private static boolean sameShape(Tensor t, int[] shape) {
            if (t.ndim() != shape.length) {
                return false;
            }
            for (int i = 0; i < shape.length; i++) {
                if (t.dim(i) != shape[i]) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public void close() {
            buffers.values().forEach(Tensor::close);
            buffers.clear();
        }
    }

    /** A fresh state for {@code ctx}; subclasses that save inputs return their own State subclass. */
    protected State newState(Context ctx) {
        return new State(ctx);
    }

    /**
     * This module's state on {@code ctx}, made on first use.
     *
     * @throws IllegalArgumentException when ctx is on another device than the parameters
     */
    @SuppressWarnings("unchecked")
    protected final <S extends State> S state(Context ctx) {
        Objects.requireNonNull(ctx, "ctx");
        AutoCloseable s = Handles.state(ctx, this);
        if (s == null) {
            s = attach(ctx);
        }
        return (S) s;
    }

    private State attach(Context ctx) {
        checkDevice(ctx);
        State s = newState(ctx);
        Handles.putState(ctx, this, s);
        synchronized (contexts) {
            contexts.removeIf(r -> r.get() == null || r.get().isClosed());
            contexts.add(new WeakReference<>(ctx));
        }
        return s;
    }

    /** Refuses a context on another device than the parameters. */
    protected final void checkDevice(Context ctx) {
        if (!ctx.device().equals(device)) {
            throw new IllegalArgumentException(name + ": the context is on " + ctx.device() + " but the parameters are on "
                    + device + "; run the module on a context of its parameters' device");
        }
    }

    /** {@code value} saved by a forward pass; a backward pass on a context with no forward there is refused. */
    protected final <T> T saved(T value) {
        if (value == null) {
            throw new IllegalStateException(name + ": backward on a context that ran no forward pass of this module");
        }
        return value;
    }

    /** Frees the state this module and its children keep on {@code ctx} (the next call there starts afresh). */
    public void release(Context ctx) {
        Objects.requireNonNull(ctx, "ctx");
        for (Module c : children) {
            c.release(ctx);
        }
        closeState(Handles.removeState(ctx, this));
        synchronized (contexts) {
            contexts.removeIf(r -> r.get() == null || r.get() == ctx);
        }
    }

    /**
     * The open contexts holding state of this module or of its children (what a leak check
     * counts: a closed context frees the state it held).
     */
    public int contextsHoldingState() {
        Set<Context> open = Collections.newSetFromMap(new IdentityHashMap<>());
        collectContexts(open);
        return open.size();
    }

    private void collectContexts(Set<Context> into) {
        synchronized (contexts) {
            for (WeakReference<Context> r : contexts) {
                Context c = r.get();
                if (c != null && !c.isClosed() && Handles.state(c, this) != null) {
                    into.add(c);
                }
            }
        }
        for (Module c : children) {
            c.collectContexts(into);
        }
    }

    /**
     * Freezes (or unfreezes) this module and its children: a frozen module's backward pass still
     * returns ∂L/∂input but writes no parameter gradient — what a guiding classifier needs, whose
     * input gradient is taken at every sampling step. Writing nothing shared, backward passes of a
     * frozen module may then run on several contexts at once.
     */
    public void setFrozen(boolean frozen) {
        this.frozen = frozen;
        for (Module c : children) {
            c.setFrozen(frozen);
        }
    }

    /** Whether {@link #setFrozen} froze this module: its backward pass leaves the parameter gradients alone. */
    public boolean isFrozen() {
        return frozen;
    }

    /** Every parameter of this module and its children, in construction order. */
    public List<Param> parameters() {
        List<Param> all = new ArrayList<>(params);
        for (Module c : children) {
            all.addAll(c.parameters());
        }
        return all;
    }

    /** Every parameter's value as a safetensors entry named {@code prefix} + its name, in construction order. */
    public Map<String, Safetensors.Entry> parameterEntries(String prefix) {
        Map<String, Safetensors.Entry> out = new LinkedHashMap<>();
        for (Param p : parameters()) {
            out.put(prefix + p.name(), new Safetensors.Entry(Arrays.stream(p.value().shape()).asLongStream().toArray(),
                    p.value().toArray()));
        }
        return out;
    }

    /**
     * Copies every parameter's value from {@code tensors}' entry {@code prefix} + its name, each
     * checked first (present, of the parameter's shape, finite); on the first bad one nothing more
     * is copied and the exception names {@code source} and the tensor.
     *
     * @throws IOException naming the missing, misshapen or non-finite tensor
     */
    public void loadParameters(Map<String, Safetensors.Entry> tensors, String prefix, String source) throws IOException {
        for (Param p : parameters()) {
            String key = prefix + p.name();
            Safetensors.Entry e = tensors.get(key);
            if (e == null) {
                throw new IOException(source + ": lacks tensor \"" + key + "\"");
            }
            long[] want = Arrays.stream(p.value().shape()).asLongStream().toArray();
            if (!Arrays.equals(want, e.shape())) {
                throw new IOException(source + ": tensor \"" + key + "\" has shape " + Arrays.toString(e.shape()) + ", "
                        + name + " needs " + Arrays.toString(want));
            }
            for (float f : e.data()) {
                if (!Float.isFinite(f)) {
                    throw new IOException(source + ": tensor \"" + key + "\" holds " + f);
                }
            }
            p.value().copyFrom(e.data());
        }
    }

    /** Sets every gradient to zero (backward passes accumulate into them). */
    public void zeroGrad() {
        for (Param p : parameters()) {
            p.grad().fill(0f);
        }
    }

    /** Frees the parameters and the state kept on every context that is still open. */
    @Override
    public void close() {
        for (Module c : children) {
            c.close();
        }
        for (Param p : params) {
            p.value().close();
            p.grad().close();
        }
        synchronized (contexts) {
            for (Iterator<WeakReference<Context>> it = contexts.iterator(); it.hasNext();) {
                Context c = it.next().get();
                it.remove();
                if (c != null) {
                    closeState(Handles.removeState(c, this));
                }
            }
        }
    }

    private static void closeState(AutoCloseable s) {
        if (s != null) {
            ((State) s).close(); // a State's close throws nothing checked
        }
    }

    /** Uniform(−b, b) with b = 1/√fanIn, PyTorch's default for convolutions and linear layers. */
    protected static void initUniform(Tensor t, int fanIn) {
        float b = (float) (1.0 / Math.sqrt(fanIn));
        t.fillUniform(-b, b);
    }
}
