package org.diffusion4j.internal;

import java.lang.ref.Cleaner;
import java.util.function.ToIntFunction;
import org.bytedeco.javacpp.Pointer;

/**
 * The native half of a {@code Context} or {@code Tensor}: holds the handle and frees it exactly
 * once, either on {@link #close()} or, for an owner the user forgot to close, from a
 * {@link Cleaner} after the owner became unreachable. Holds no reference back to its owner.
 */
public final class NativeResource<H extends Pointer> {
    private static final Cleaner CLEANER = Cleaner.create();

    private final State<H> state;
    private final Cleaner.Cleanable cleanable;

    private static final class State<H extends Pointer> implements Runnable {
        private H handle;
        private final ToIntFunction<H> free;

        State(H handle, ToIntFunction<H> free) {
            this.handle = handle;
            this.free = free;
        }

        @Override
        public synchronized void run() {
            if (handle != null) {
                free.applyAsInt(handle); // the handle was live: freeing it cannot fail
                handle = null;
            }
        }
    }

    /** Owns {@code handle} for {@code owner}; {@code free} releases it. */
    public NativeResource(Object owner, H handle, ToIntFunction<H> free) {
        this.state = new State<>(handle, free);
        this.cleanable = CLEANER.register(owner, state);
    }

    /** The handle, or null once freed. */
    public H handle() {
        synchronized (state) {
            return state.handle;
        }
    }

    public boolean isClosed() {
        return handle() == null;
    }

    /** Frees the handle now (idempotent). */
    public void close() {
        cleanable.clean();
    }
}
