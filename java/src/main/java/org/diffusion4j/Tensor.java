package org.diffusion4j;

import java.util.Arrays;
import java.util.Objects;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.D4jNative.d4j_tensor;
import org.diffusion4j.internal.Handles;
import org.diffusion4j.internal.Native;
import org.diffusion4j.internal.NativeResource;

/**
 * A float32 tensor of 1 to 4 dimensions in a {@link Context}'s device memory. Images are NHWC
 * (batch, height, width, channels). Close it (try-with-resources) to release its memory at
 * once; an unreachable tensor is freed eventually by a cleaner. Any use after close throws
 * {@link IllegalStateException}.
 */
public final class Tensor implements AutoCloseable {
    static {
        Handles.install(new Handles.Access() {
            @Override
            public D4jNative.d4j_ctx ctx(Context context) {
                return context.handle();
            }

            @Override
            public d4j_tensor tensor(Tensor tensor) {
                return tensor.handle();
            }

            @Override
            public AutoCloseable state(Context context, Object owner) {
                return context.state(owner);
            }

            @Override
            public void putState(Context context, Object owner, AutoCloseable state) {
                context.putState(owner, state);
            }

            @Override
            public AutoCloseable removeState(Context context, Object owner) {
                return context.removeState(owner);
            }
        });
    }

    private final Context context;
    private final int[] shape;
    private final long numel;
    private final NativeResource<d4j_tensor> resource;

    private Tensor(Context context, int[] shape, d4j_tensor handle) {
        this.context = context;
        this.shape = shape;
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        this.numel = n;
        this.resource = new NativeResource<>(this, handle, D4jNative::d4j_tensor_free);
    }

    /** An uninitialised tensor of {@code shape} on {@code context}'s device. */
    public static Tensor empty(Context context, int... shape) {
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(shape, "shape");
        if (shape.length < 1 || shape.length > D4jNative.D4J_MAX_DIMS) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has " + shape.length
                    + " dimensions; a tensor has 1 to " + D4jNative.D4J_MAX_DIMS);
        }
        long[] dims = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            dims[i] = shape[i];
        }
        d4j_tensor handle = new d4j_tensor();
        Native.check(D4jNative.d4j_tensor_create(context.handle(), handle, dims, shape.length), context);
        return new Tensor(context, shape.clone(), handle);
    }

    /** A tensor of {@code shape} filled with zeros. */
    public static Tensor zeros(Context context, int... shape) {
        return empty(context, shape).fill(0f);
    }

    /** A tensor of {@code shape} holding {@code data} (row-major; length must equal the element count). */
    public static Tensor of(Context context, float[] data, int... shape) {
        Objects.requireNonNull(data, "data");
        Tensor t = empty(context, shape);
        try {
            t.copyFrom(data);
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    public Context context() {
        return context;
    }

    public Device device() {
        return context.device();
    }

    /** The extents, outermost first (a copy). */
    public int[] shape() {
        return shape.clone();
    }

    public int dim(int i) {
        return shape[i];
    }

    public int ndim() {
        return shape.length;
    }

    public long numel() {
        return numel;
    }

    /** Copies {@code data} into this tensor. */
    public Tensor copyFrom(float[] data) {
        Objects.requireNonNull(data, "data");
        Native.check(D4jNative.d4j_tensor_upload(context.handle(), handle(), data, data.length), context, this);
        return this;
    }

    /** Copies {@code src} (same element count, same device) into this tensor. */
    public Tensor copyFrom(Tensor src) {
        Objects.requireNonNull(src, "src");
        Native.check(D4jNative.d4j_tensor_copy(context.handle(), handle(), src.handle()), context, src, this);
        return this;
    }

    /**
     * Copies samples {@code srcFirst .. srcFirst + count - 1} of {@code src} (dimension 0) into
     * samples {@code dstFirst ..} of this tensor; both have the same dimensions past the first.
     *
     * @throws D4jException naming the ranges when they fall outside either tensor
     */
    public Tensor copySamples(int dstFirst, Tensor src, int srcFirst, int count) {
        Objects.requireNonNull(src, "src");
        Native.check(D4jNative.d4j_tensor_copy_samples(context.handle(), handle(), dstFirst, src.handle(), srcFirst,
                count), context, src, this);
        return this;
    }

    /** The elements, row-major, on the Java heap. */
    public float[] toArray() {
        if (numel > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("tensor " + this + " has " + numel + " elements, too many for a Java array");
        }
        float[] out = new float[(int) numel];
        Native.check(D4jNative.d4j_tensor_download(context.handle(), out, handle(), out.length), context, this);
        return out;
    }

    public Tensor fill(float value) {
        Native.check(D4jNative.d4j_tensor_fill(context.handle(), handle(), value), context, this);
        return this;
    }

    /** Fills with N(mean, std²) draws from the context's Philox stream. */
    public Tensor fillNormal(float mean, float std) {
        Native.check(D4jNative.d4j_fill_normal(context.handle(), handle(), mean, std), context, this);
        return this;
    }

    /** Fills with U[low, high) draws from the context's Philox stream. */
    public Tensor fillUniform(float low, float high) {
        Native.check(D4jNative.d4j_fill_uniform(context.handle(), handle(), low, high), context, this);
        return this;
    }

    public boolean isClosed() {
        return resource.isClosed();
    }

    /** Releases the memory now (idempotent). */
    @Override
    public void close() {
        resource.close();
    }

    d4j_tensor handle() {
        d4j_tensor h = resource.handle();
        if (h == null) {
            throw new IllegalStateException("tensor " + Arrays.toString(shape) + " on " + context.device() + " is closed");
        }
        return h;
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape) + " on " + context.device() + (isClosed() ? " (closed)" : "");
    }
}
