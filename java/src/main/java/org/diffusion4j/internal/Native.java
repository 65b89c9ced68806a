package org.diffusion4j.internal;

import java.lang.ref.Reference;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.diffusion4j.D4jException;
import org.diffusion4j.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the native library once and turns native statuses into exceptions. Internal: the
 * generated {@link D4jNative} binding is not part of the public API.
 */
public final class Native {
    private static final Logger LOG = LoggerFactory.getLogger(Native.class);

    private Native() {}

    private static final class Holder {
        static final String PATH = load();

        private static String load() {
            String path = Loader.load(D4jNative.class);
            int[] v = new int[1];
            int[] built = new int[1];
            int[] count = new int[1];
            int[] threads = new int[1];
            D4jNative.d4j_version(v);
            D4jNative.d4j_cuda_built(built);
            D4jNative.d4j_cuda_device_count(count);
            D4jNative.d4j_cpu_threads(threads);
            LOG.info("diffusion4j native {}.{}.{} loaded from {}: CPU backend {}{} with {} threads; CUDA {}",
                    v[0] / 10000, v[0] / 100 % 100, v[0] % 100, path,
                    D4jNative.d4j_cpu_isa().getString(), D4jNative.d4j_cpu_amx() != 0 ? " (bf16 on AMX)" : "", threads[0],
                    built[0] == 0 ? "not built" : count[0] + " device(s)");
            return path;
        }
    }

    /** Loads the library (once); returns the path it was loaded from. */
    public static String load() {
        return Holder.PATH;
    }

    /**
     * {@link #check(int)} for a native call that used the handles of {@code keepAlive} (contexts,
     * tensors, lists of tensors): passed after the call, the objects stay reachable until it has
     * returned, and the fence here keeps them so through the check, so a {@link
     * java.lang.ref.Cleaner} cannot free a handle while native code uses it. Every op passes the
     * objects whose handles it hands to native code.
     */
    public static void check(int status, Object... keepAlive) {
        try {
            check(status);
        } finally {
            Reference.reachabilityFence(keepAlive);
        }
    }

    /** Throws a {@link D4jException} carrying the native message when {@code status != 0}. */
    public static void check(int status) {
        if (status != D4jNative.D4J_OK) {
            BytePointer msg = D4jNative.d4j_last_error();
            throw new D4jException(Status.of(status), msg == null ? "native status " + status : msg.getString());
        }
    }
}
