package org.diffusion4j.internal;

import org.diffusion4j.Context;
import org.diffusion4j.Tensor;

/**
 * Gives library packages the native handles behind {@link Context} and {@link Tensor} without
 * making them public API. The public classes install the accessor when they load.
 */
public final class Handles {
    /** Implemented inside {@code org.diffusion4j}. */
    public interface Access {
        D4jNative.d4j_ctx ctx(Context context);

        D4jNative.d4j_tensor tensor(Tensor tensor);

        AutoCloseable state(Context context, Object owner);

        void putState(Context context, Object owner, AutoCloseable state);

        AutoCloseable removeState(Context context, Object owner);
    }

    private static volatile Access access;

    private Handles() {}

    public static void install(Access a) {
        access = a;
    }

    private static Access access() {
        if (access == null) {
            // Loading Tensor installs the accessor (its static initializer); Context references Tensor.
            try {
                Class.forName(Tensor.class.getName(), true, Tensor.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
        }
        return access;
    }

    /** The open context's handle; throws IllegalStateException when it is closed. */
    public static D4jNative.d4j_ctx ctx(Context context) {
        return access().ctx(context);
    }

    /** The state {@code owner} keeps on {@code context} (by identity), or null. */
    public static AutoCloseable state(Context context, Object owner) {
        return access().state(context, owner);
    }

    /**
     * Keeps {@code state} for {@code owner} on {@code context}, which closes it when it closes;
     * throws IllegalStateException when the context is closed.
     */
    public static void putState(Context context, Object owner, AutoCloseable state) {
        access().putState(context, owner, state);
    }

    /** Forgets and returns the state {@code owner} keeps on {@code context} (null if none), for the caller to close. */
    public static AutoCloseable removeState(Context context, Object owner) {
        return access().removeState(context, owner);
    }

    /** The open tensor's handle; throws IllegalStateException when it is closed. */
    public static D4jNative.d4j_tensor tensor(Tensor tensor) {
        return access().tensor(tensor);
    }
}
