package org.diffusion4j;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.D4jNative.d4j_ctx;
import org.diffusion4j.internal.Native;
import org.diffusion4j.internal.NativeResource;

/**
 * Where native work runs: one device, one CUDA stream, the Philox random stream
 * {@code (seed, offset)} and a caching allocator. Not thread-safe: give each thread its own.
 * Closing a context while tensors made on it are open is allowed: their memory stays valid
 * until they are closed, but they can no longer be used.
 *
 * <p>A context also holds the per-call state that shared objects keep on it — a network
 * module's activations, scratch buffers and saved inputs (see {@code org.diffusion4j.nn.Module})
 * — and frees that state when it closes.
 */
public final class Context implements AutoCloseable {
    private final Device device;
    private final NativeResource<d4j_ctx> resource;
    // state kept on this context by other objects (by identity), closed with it; guarded by itself
    private final Map<Object, AutoCloseable> states = new IdentityHashMap<>();

    private Context(Device device, d4j_ctx handle) {
        this.device = device;
        this.resource = new NativeResource<>(this, handle, D4jNative::d4j_ctx_free);
    }

    /** A context on {@code device} with random stream (seed 0, offset 0). */
    public static Context create(Device device) {
        return create(device, 0L);
    }

    /** A context on {@code device} with random stream (seed, offset 0). */
    public static Context create(Device device, long seed) {
        Objects.requireNonNull(device, "device");
        Native.load();
        d4j_ctx handle = new d4j_ctx();
        Native.check(D4jNative.d4j_ctx_create(handle, device.code(), device.ordinal()));
        Context ctx = new Context(device, handle);
        ctx.setRng(seed, 0L);
        return ctx;
    }

    public Device device() {
        return device;
    }

    /**
     * Positions the Philox stream: later random ops draw from counter blocks starting at
     * {@code offset} under key {@code seed}. Both are unsigned 64-bit values.
     */
    public void setRng(long seed, long offset) {
        Native.check(D4jNative.d4j_ctx_set_rng(handle(), seed, offset), this);
    }

    /** The Philox key in use. */
    public long seed() {
        long[] s = new long[1];
        long[] o = new long[1];
        Native.check(D4jNative.d4j_ctx_rng(s, o, handle()), this);
        return s[0];
    }

    /** The next unused Philox counter block; random ops advance it by the blocks they draw. */
    public long rngOffset() {
        long[] s = new long[1];
        long[] o = new long[1];
        Native.check(D4jNative.d4j_ctx_rng(s, o, handle()), this);
        return o[0];
    }

    /** Waits for all work queued on this context (a no-op on the CPU). */
    public void synchronize() {
        Native.check(D4jNative.d4j_ctx_synchronize(handle()), this);
    }

    /** Bytes of device memory held by open tensors of this context. */
    public long memoryInUse() {
        long[] used = new long[1];
        long[] cached = new long[1];
        Native.check(D4jNative.d4j_ctx_memory(used, cached, handle()), this);
        return used[0];
    }

    /** Bytes the caching allocator keeps for reuse. */
    public long memoryCached() {
        long[] used = new long[1];
        long[] cached = new long[1];
        Native.check(D4jNative.d4j_ctx_memory(used, cached, handle()), this);
        return cached[0];
    }

    /** Returns cached, unused memory to the system. */
    public void emptyCache() {
        Native.check(D4jNative.d4j_ctx_empty_cache(handle()), this);
    }

    /**
     * Chooses how this context's 3×3 stride-1 convolutions run (CPU; CUDA contexts keep the setting
     * and run direct); {@link ConvAlgorithm#AUTO} unless set. Takes effect from the next op.
     */
    public void setConvAlgorithm(ConvAlgorithm algorithm) {
        Objects.requireNonNull(algorithm, "algorithm");
        Native.check(D4jNative.d4j_ctx_set_conv_algo(handle(), algorithm.code), this);
    }

    public ConvAlgorithm convAlgorithm() {
        int[] a = new int[1];
        Native.check(D4jNative.d4j_ctx_conv_algo(a, handle()), this);
        return ConvAlgorithm.of(a[0]);
    }

    /**
     * Sets the arithmetic of this context's convolutions and linear layers; {@link Precision#FP32}
     * unless set.
     *
     * @throws D4jException with {@link Status#UNSUPPORTED} for {@link Precision#BF16} where it has no
     *     kernels: a CUDA context, or a CPU whose kernel build ({@link Device#cpuIsa()}) is not
     *     {@code avx512+bf16}; the message names the build, and the precision is unchanged
     */
    public void setPrecision(Precision precision) {
        Objects.requireNonNull(precision, "precision");
        Native.check(D4jNative.d4j_ctx_set_precision(handle(), precision.code), this);
    }

    public Precision precision() {
        int[] p = new int[1];
        Native.check(D4jNative.d4j_ctx_precision(p, handle()), this);
        return Precision.of(p[0]);
    }

    public boolean isClosed() {
        return resource.isClosed();
    }

    /** Frees the state objects keep on this context, then the context (idempotent). */
    @Override
    public void close() {
        List<AutoCloseable> held;
        synchronized (states) {
            held = new ArrayList<>(states.values());
            states.clear();
        }
        RuntimeException failure = null;
        for (AutoCloseable s : held) {
            try {
                s.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new IllegalStateException("closing state held by " + this, e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        resource.close();
        if (failure != null) {
            throw failure;
        }
    }

    /** The state {@code owner} keeps on this context, or null. */
    AutoCloseable state(Object owner) {
        synchronized (states) {
            return states.get(owner);
        }
    }

    /** Keeps {@code state} for {@code owner} until {@link #removeState} or close; refused once closed. */
    void putState(Object owner, AutoCloseable state) {
        synchronized (states) {
            if (isClosed()) {
                throw new IllegalStateException("context on " + device + " is closed");
            }
            states.put(owner, state);
        }
    }

    /** Forgets and returns the state {@code owner} keeps on this context (null if none); the caller closes it. */
    AutoCloseable removeState(Object owner) {
        synchronized (states) {
            return states.remove(owner);
        }
    }

    d4j_ctx handle() {
        d4j_ctx h = resource.handle();
        if (h == null) {
            throw new IllegalStateException("context on " + device + " is closed");
        }
        return h;
    }

    @Override
    public String toString() {
        return "Context[" + device + (isClosed() ? ", closed]" : "]");
    }
}
