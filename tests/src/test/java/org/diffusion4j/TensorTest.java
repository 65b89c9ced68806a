package org.diffusion4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.Native;
import org.junit.jupiter.api.Test;

class TensorTest {
    private static float[] data(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) Math.sin(i + 1.0) * 3f;
        }
        return x;
    }

    @Test
    void roundTripsDataAndShape() {
        try (Context ctx = Context.create(Device.cpu());
                Tensor t = Tensor.of(ctx, data(2 * 7 * 7 * 3), 2, 7, 7, 3)) {
            assertArrayEquals(new int[] {2, 7, 7, 3}, t.shape());
            assertEquals(294, t.numel());
            assertArrayEquals(data(294), t.toArray());
            assertEquals(Device.cpu(), t.device());
        }
    }

    @Test
    void fillAndCopy() {
        try (Context ctx = Context.create(Device.cpu());
                Tensor a = Tensor.empty(ctx, 5, 13).fill(2.5f);
                Tensor b = Tensor.zeros(ctx, 65)) {
            b.copyFrom(a);
            float[] out = b.toArray();
            for (float v : out) {
                assertEquals(2.5f, v);
            }
            Tensor c = Tensor.zeros(ctx, 64);
            D4jException e = assertThrows(D4jException.class, () -> c.copyFrom(a));
            assertEquals(Status.SHAPE, e.status());
            assertTrue(e.getMessage().contains("64") && e.getMessage().contains("65"), e.getMessage());
            c.close();
        }
    }

    @Test
    void useAfterCloseThrowsAndCloseIsIdempotent() {
        try (Context ctx = Context.create(Device.cpu())) {
            Tensor t = Tensor.zeros(ctx, 4, 4);
            t.close();
            t.close();
            assertTrue(t.isClosed());
            IllegalStateException e = assertThrows(IllegalStateException.class, t::toArray);
            assertTrue(e.getMessage().contains("[4, 4]") && e.getMessage().contains("closed"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> t.fill(1f));
            try (Tensor other = Tensor.zeros(ctx, 16)) {
                assertThrows(IllegalStateException.class, () -> other.copyFrom(t));
            }
        }
    }

    @Test
    void badShapesNameTheValue() {
        try (Context ctx = Context.create(Device.cpu())) {
            D4jException neg = assertThrows(D4jException.class, () -> Tensor.empty(ctx, 4, -3));
            assertEquals(Status.INVALID_ARGUMENT, neg.status());
            assertTrue(neg.getMessage().contains("dimension 1 is -3"), neg.getMessage());
            D4jException zero = assertThrows(D4jException.class, () -> Tensor.empty(ctx, 0));
            assertTrue(zero.getMessage().contains("dimension 0 is 0"), zero.getMessage());
            D4jException huge = assertThrows(D4jException.class,
                    () -> Tensor.empty(ctx, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, 4));
            assertTrue(huge.getMessage().contains("overflows"), huge.getMessage());
            D4jException oom = assertThrows(D4jException.class,
                    () -> Tensor.empty(ctx, 1 << 20, 1 << 20, 1 << 8)); // 2^48 floats = 1 PiB
            assertEquals(Status.OUT_OF_MEMORY, oom.status());
            IllegalArgumentException rank = assertThrows(IllegalArgumentException.class,
                    () -> Tensor.empty(ctx, 1, 2, 3, 4, 5));
            assertTrue(rank.getMessage().contains("5 dimensions"), rank.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Tensor.empty(ctx));
            D4jException count = assertThrows(D4jException.class, () -> Tensor.of(ctx, new float[5], 2, 3));
            assertTrue(count.getMessage().contains("count is 5 but the tensor has 6"), count.getMessage());
            assertThrows(NullPointerException.class, () -> Tensor.of(ctx, null, 2));
        }
    }

    /** Below the Java guards: the C API itself turns NULL and freed handles into statuses. */
    @Test
    void nativeNullAndFreedHandlesAreStatusesNotCrashes() {
        org.diffusion4j.internal.Native.load();
        D4jNative.d4j_ctx ctx = new D4jNative.d4j_ctx();
        Native.check(D4jNative.d4j_ctx_create(ctx, D4jNative.D4J_DEVICE_CPU, 0));
        D4jException nullTensor = assertThrows(D4jException.class,
                () -> Native.check(D4jNative.d4j_tensor_fill(ctx, new D4jNative.d4j_tensor(), 1f)));
        assertEquals(Status.INVALID_HANDLE, nullTensor.status());
        assertTrue(nullTensor.getMessage().contains("tensor dst is NULL"), nullTensor.getMessage());
        D4jNative.d4j_tensor t = new D4jNative.d4j_tensor();
        Native.check(D4jNative.d4j_tensor_create(ctx, t, new long[] {3}, 1));
        Native.check(D4jNative.d4j_tensor_free(t));
        D4jException freed = assertThrows(D4jException.class,
                () -> Native.check(D4jNative.d4j_tensor_fill(ctx, t, 1f)));
        assertTrue(freed.getMessage().contains("not live"), freed.getMessage());
        D4jException twice = assertThrows(D4jException.class, () -> Native.check(D4jNative.d4j_tensor_free(t)));
        assertEquals(Status.INVALID_HANDLE, twice.status());
        Native.check(D4jNative.d4j_ctx_free(ctx));
        D4jException deadCtx = assertThrows(D4jException.class,
                () -> Native.check(D4jNative.d4j_ctx_synchronize(ctx)));
        assertTrue(deadCtx.getMessage().startsWith("d4j_ctx_synchronize: context"), deadCtx.getMessage());
    }

    @Test
    void closedContextIsRefusedButItsTensorsCanStillBeClosed() {
        Context ctx = Context.create(Device.cpu());
        Tensor t = Tensor.zeros(ctx, 8);
        ctx.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.fill(1f));
        assertTrue(e.getMessage().contains("context on cpu is closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> Tensor.zeros(ctx, 2));
        t.close();
        ctx.close();
    }

    @Test
    void memoryIsCachedAndReused() {
        try (Context ctx = Context.create(Device.cpu())) {
            Tensor a = Tensor.empty(ctx, 1000);
            long used = ctx.memoryInUse();
            assertTrue(used >= 4000, "in use " + used);
            a.close();
            assertEquals(0, ctx.memoryInUse());
            assertEquals(used, ctx.memoryCached());
            try (Tensor b = Tensor.empty(ctx, 1000)) {
                assertEquals(0, ctx.memoryCached(), "the cached block should have been reused");
            }
            ctx.emptyCache();
            assertEquals(0, ctx.memoryCached());
        }
    }

    @Test
    void forgottenTensorsAreFreedByTheCleaner() throws InterruptedException {
        try (Context ctx = Context.create(Device.cpu())) {
            for (int i = 0; i < 100; i++) {
                Tensor.empty(ctx, 1 << 16); // never closed
            }
            assertTrue(ctx.memoryInUse() >= 100L * (1 << 18));
            for (int i = 0; i < 200 && ctx.memoryInUse() > 0; i++) {
                System.gc();
                Thread.sleep(20);
            }
            assertEquals(0, ctx.memoryInUse(), "unreachable tensors were not freed");
        }
    }

    @Test
    void copySamplesMovesWholeSamplesAndRefusesBadRanges() {
        try (Context ctx = Context.create(Device.cpu());
                Tensor src = Tensor.of(ctx, data(3 * 2 * 5), 3, 2, 5);
                Tensor dst = Tensor.empty(ctx, 4, 2, 5).fill(-7f)) {
            dst.copySamples(1, src, 1, 2);
            float[] got = dst.toArray();
            float[] want = data(30);
            for (int i = 0; i < 40; i++) {
                float expect = i < 10 ? -7f : i < 30 ? want[i] : -7f;
                assertEquals(expect, got[i], "element " + i);
            }
            dst.copySamples(0, src, 0, 0);
            D4jException range = assertThrows(D4jException.class, () -> dst.copySamples(3, src, 0, 2));
            assertEquals(Status.INVALID_ARGUMENT, range.status());
            assertTrue(range.getMessage().contains("[3, +2)") && range.getMessage().contains("(4)"), range.getMessage());
            assertThrows(D4jException.class, () -> dst.copySamples(0, src, -1, 1));
            try (Tensor other = Tensor.zeros(ctx, 4, 5, 2)) {
                D4jException shape = assertThrows(D4jException.class, () -> other.copySamples(0, src, 0, 1));
                assertEquals(Status.SHAPE, shape.status());
            }
            assertArrayEquals(got, dst.toArray(), "refused copies must not write");
        }
    }

    /** d4j.h's rule: an op writes only its own context's tensors; on the CPU it may read another's (shared weights). */
    @Test
    void opsWriteOnlyTheirOwnContextsTensorsAndReadOthersOnTheCpu() {
        try (Context a = Context.create(Device.cpu());
                Context b = Context.create(Device.cpu());
                Tensor xa = Tensor.of(a, new float[] {1, 2, 3}, 3);
                Tensor ya = Tensor.empty(a, 3).fill(Float.NaN);
                Tensor xb = Tensor.of(b, new float[] {10, 20, 30}, 3);
                Tensor yb = Tensor.empty(b, 3).fill(Float.NaN)) {
            org.diffusion4j.ops.Add.forward(b, yb, xa, xb);
            assertArrayEquals(new float[] {11, 22, 33}, yb.toArray(), "a read of another CPU context's tensor");
            D4jException e = assertThrows(D4jException.class, () -> org.diffusion4j.ops.Add.forward(b, ya, xb, xb));
            assertEquals(Status.DEVICE, e.status());
            assertTrue(e.getMessage().contains("tensor y belongs to context")
                    && e.getMessage().contains("an op writes only tensors of its own context"), e.getMessage());
            assertTrue(Float.isNaN(ya.toArray()[0]), "the refused op must not write");
        }
    }
}
