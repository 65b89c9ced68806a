package org.diffusion4j;

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
 */
public final class Context implements AutoCloseable {
    private final Device device;
    private final NativeResource<d4j_ctx> resource;

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

    public boolean isClosed() {
        return resource.isClosed();
    }

    @Override
    public void close() {
        resource.close();
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
