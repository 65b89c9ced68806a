package org.diffusion4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.diffusion4j.Context;
import org.diffusion4j.D4jException;
import org.diffusion4j.Device;
import org.diffusion4j.Status;
import org.diffusion4j.Tensor;
import org.diffusion4j.testing.GradCheck;
import org.diffusion4j.testing.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * SiLU against libtorch's silu and autograd (1e-6 relative: a handful of roundings, our exp
 * within 4 ulp), concatenation against torch.cat and upsampling against upsample_nearest2d, both
 * with autograd (exact, as they only move values, except the upsampling gradient, a sum of four
 * whose order may differ: 1e-6), elementwise add exactly; outputs poisoned with NaN first.
 */
class PointwiseOpsTest {
    @ParameterizedTest(name = "{0}x{1}x{2}x{3}")
    @CsvSource({"1, 7, 7, 3", "2, 14, 14, 13", "4, 8, 8, 64"})
    void siluMatchesLibtorch(int n, int h, int w, int c) {
        int size = n * h * w * c;
        float[] x = Torch.random(51, size, 6f);
        float[] dy = Torch.random(52, size, 1f);
        float[] y;
        float[] dx;
        try (Context ctx = Context.create(Device.cpu());
                Tensor tx = Tensor.of(ctx, x, n, h, w, c);
                Tensor tdy = Tensor.of(ctx, dy, n, h, w, c);
                Tensor ty = Tensor.empty(ctx, n, h, w, c).fill(Float.NaN);
                Tensor tdx = Tensor.empty(ctx, n, h, w, c).fill(Float.NaN)) {
            Silu.forward(ctx, ty, tx);
            Silu.backward(ctx, tdx, tdy, tx);
            y = ty.toArray();
            dx = tdx.toArray();
        }
        org.bytedeco.pytorch.Tensor rx = Torch.tensor(x, size).set_requires_grad(true);
        org.bytedeco.pytorch.Tensor ry = torch.silu(rx);
        ry.mul(Torch.tensor(dy, size)).sum().backward();
        double ey = Torch.relativeError(y, Torch.array(ry));
        double edx = Torch.relativeError(dx, Torch.array(rx.grad()));
        System.out.printf("silu %dx%dx%dx%d: y %.2e dx %.2e%n", n, h, w, c, ey, edx);
        assertTrue(ey < 1e-6 && edx < 1e-6, "silu relative errors " + ey + ", " + edx);
    }

    @ParameterizedTest(name = "{0}x{1}x{2}x{3}")
    @CsvSource({"1, 7, 7, 3", "2, 14, 14, 13", "3, 4, 5, 64"})
    void upsampleMatchesLibtorch(int n, int h, int w, int c) {
        float[] x = Torch.random(53, n * h * w * c, 1f);
        float[] dy = Torch.random(54, n * 4 * h * w * c, 1f);
        float[] y;
        float[] dx;
        try (Context ctx = Context.create(Device.cpu());
                Tensor tx = Tensor.of(ctx, x, n, h, w, c);
                Tensor ty = Tensor.empty(ctx, n, 2 * h, 2 * w, c).fill(Float.NaN);
                Tensor tdy = Tensor.of(ctx, dy, n, 2 * h, 2 * w, c);
                Tensor tdx = Tensor.empty(ctx, n, h, w, c).fill(Float.NaN)) {
            Upsample.forward(ctx, ty, tx);
            Upsample.backward(ctx, tdx, tdy);
            y = ty.toArray();
            dx = tdx.toArray();
        }
        org.bytedeco.pytorch.Tensor rx = Torch.nchw(x, n, h, w, c).set_requires_grad(true);
        org.bytedeco.pytorch.Tensor ry = torch.upsample_nearest2d(rx, 2L * h, 2L * w);
        ry.mul(Torch.nchw(dy, n, 2 * h, 2 * w, c)).sum().backward();
        assertArrayEquals(Torch.nhwc(ry), y, "the forward only moves values");
        double edx = Torch.relativeError(dx, Torch.nhwc(rx.grad()));
        System.out.printf("upsample %dx%dx%dx%d: dx %.2e%n", n, h, w, c, edx);
        assertTrue(edx < 1e-6, "upsample gradient relative error " + edx);
    }

    @ParameterizedTest(name = "{0}x{1}, {2}+{3}")
    @CsvSource({"1, 49, 3, 5", "2, 196, 64, 64", "4, 64, 128, 13"})
    void concatMatchesTorchCat(int n, int hw, int ca, int cb) {
        float[] a = Torch.random(55, n * hw * ca, 1f);
        float[] b = Torch.random(56, n * hw * cb, 1f);
        float[] dy = Torch.random(70, n * hw * (ca + cb), 1f);
        try (Context ctx = Context.create(Device.cpu());
                Tensor ta = Tensor.of(ctx, a, n, hw, ca);
                Tensor tb = Tensor.of(ctx, b, n, hw, cb);
                Tensor ty = Tensor.empty(ctx, n, hw, ca + cb).fill(Float.NaN);
                Tensor tdy = Tensor.of(ctx, dy, n, hw, ca + cb);
                Tensor da = Tensor.empty(ctx, n, hw, ca).fill(Float.NaN);
                Tensor db = Tensor.empty(ctx, n, hw, cb).fill(Float.NaN)) {
            Concat.forward(ctx, ty, ta, tb);
            Concat.backward(ctx, da, db, tdy);
            org.bytedeco.pytorch.Tensor ra = Torch.tensor(a, n, hw, ca).set_requires_grad(true);
            org.bytedeco.pytorch.Tensor rb = Torch.tensor(b, n, hw, cb).set_requires_grad(true);
            org.bytedeco.pytorch.Tensor ry = torch.cat(new TensorVector(ra, rb), 2);
            ry.mul(Torch.tensor(dy, n, hw, ca + cb)).sum().backward();
            assertArrayEquals(Torch.array(ry), ty.toArray());
            assertArrayEquals(Torch.array(ra.grad()), da.toArray()); // exact: the gradient only moves values
            assertArrayEquals(Torch.array(rb.grad()), db.toArray());
        }
    }

    @ParameterizedTest(name = "{0}x{1}x{2}x{3}")
    @CsvSource({"1, 7, 7, 3", "2, 14, 14, 13", "8, 16, 16, 64"})
    void addAgreesWithLibtorchAndAliases(int n, int h, int w, int c) {
        int size = n * h * w * c;
        float[] a = Torch.random(57, size, 1f);
        float[] b = Torch.random(58, size, 1f);
        try (Context ctx = Context.create(Device.cpu());
                Tensor ta = Tensor.of(ctx, a, n, h, w, c);
                Tensor tb = Tensor.of(ctx, b, n, h, w, c);
                Tensor ty = Tensor.empty(ctx, n, h, w, c).fill(Float.NaN)) {
            Add.forward(ctx, ty, ta, tb);
            Add.forward(ctx, ta, ta, tb); // in place
            float[] ref = Torch.array(Torch.tensor(a, size).add(Torch.tensor(b, size)));
            assertArrayEquals(ref, ty.toArray());
            assertArrayEquals(ref, ta.toArray());
        }
    }

    /** The per-sample broadcast add against libtorch's broadcasting, its gradient against a sum. */
    @ParameterizedTest(name = "{0}x{1}x{2}x{3}")
    @CsvSource({"1, 7, 7, 3", "2, 14, 14, 13", "8, 16, 16, 64"})
    void perSampleAddBroadcastsAndSums(int n, int h, int w, int c) {
        int size = n * h * w * c;
        float[] x = Torch.random(68, size, 1f);
        float[] b = Torch.random(69, n * c, 1f);
        try (Context ctx = Context.create(Device.cpu());
                Tensor tx = Tensor.of(ctx, x, n, h, w, c);
                Tensor tb = Tensor.of(ctx, b, n, c);
                Tensor ty = Tensor.empty(ctx, n, h, w, c).fill(Float.NaN);
                Tensor db = Tensor.empty(ctx, n, c).fill(Float.NaN)) {
            Add.perSample(ctx, ty, tx, tb);
            float[] ref = Torch.nhwc(Torch.nchw(x, n, h, w, c).add(Torch.tensor(b, n, c, 1, 1)));
            assertArrayEquals(ref, ty.toArray());
            Add.perSampleBackward(ctx, db, tx);
            float[] refDb = Torch.array(Torch.tensor(x, n, h * w, c).sum(new long[] {1}));
            assertTrue(Torch.relativeError(db.toArray(), refDb) < 1e-6, "sum over pixels");
            D4jException bad = assertThrows(D4jException.class, () -> Add.perSample(ctx, ty, tx, tx));
            assertTrue(bad.getMessage().contains("b has shape"), bad.getMessage());
        }
    }

    @Test
    void siluFiniteDifferences() {
        float[] x = Torch.random(59, 40, 4f);
        float[] r = Torch.random(60, 40, 1f);
        try (Context ctx = Context.create(Device.cpu());
                Tensor tx = Tensor.of(ctx, x, 40);
                Tensor ty = Tensor.empty(ctx, 40);
                Tensor tdy = Tensor.of(ctx, r, 40);
                Tensor tdx = Tensor.empty(ctx, 40)) {
            Silu.backward(ctx, tdx, tdy, tx);
            double e = GradCheck.maxRelativeError(tx, () -> Silu.forward(ctx, ty, tx), ty, x, r, tdx.toArray(), 1e-2f, 40);
            assertTrue(e < 1e-2, "silu vs finite differences " + e);
        }
    }

    /** Upsampling, concatenation and MSE gradients by central differences. */
    @Test
    void linearOpsAndLossFiniteDifferences() {
        float[] x = Torch.random(64, 2 * 3 * 3 * 2, 1f);
        float[] rUp = Torch.random(65, 2 * 6 * 6 * 2, 1f);
        float[] target = Torch.random(66, x.length, 1f);
        try (Context ctx = Context.create(Device.cpu());
                Tensor tx = Tensor.of(ctx, x, 2, 3, 3, 2);
                Tensor up = Tensor.empty(ctx, 2, 6, 6, 2);
                Tensor dUp = Tensor.of(ctx, rUp, 2, 6, 6, 2);
                Tensor dx = Tensor.empty(ctx, 2, 3, 3, 2);
                Tensor tt = Tensor.of(ctx, target, 2, 3, 3, 2);
                Tensor cat = Tensor.empty(ctx, 2, 3, 3, 4);
                Tensor dcat = Tensor.of(ctx, Torch.random(67, 72, 1f), 2, 3, 3, 4);
                Tensor da = Tensor.empty(ctx, 2, 3, 3, 2);
                Tensor db = Tensor.empty(ctx, 2, 3, 3, 2);
                Tensor loss = Tensor.empty(ctx, 1);
                Tensor grad = Tensor.empty(ctx, 2, 3, 3, 2)) {
            Upsample.backward(ctx, dx, dUp);
            double eUp = GradCheck.maxRelativeError(tx, () -> Upsample.forward(ctx, up, tx), up, x, rUp, dx.toArray(),
                    1e-2f, 36);
            Concat.backward(ctx, da, db, dcat);
            Runnable concat = () -> Concat.forward(ctx, cat, tx, tt);
            double eCat = GradCheck.maxRelativeError(tx, concat, cat, x, dcat.toArray(), da.toArray(), 1e-2f, 36);
            double eCatB = GradCheck.maxRelativeError(tt, concat, cat, target, dcat.toArray(), db.toArray(), 1e-2f, 36);
            MseLoss.forward(ctx, loss, grad, tx, tt);
            double eMse = GradCheck.maxRelativeError(tx, () -> MseLoss.forward(ctx, loss, null, tx, tt), loss, x,
                    new float[] {1f}, grad.toArray(), 1e-2f, 36);
            assertTrue(eUp < 1e-2 && eCat < 1e-2 && eCatB < 1e-2 && eMse < 1e-2, "finite differences: upsample " + eUp
                    + ", concat " + eCat + " / " + eCatB + ", mse " + eMse);
        }
    }

    @Test
    void badShapesNameTheValue() {
        try (Context ctx = Context.create(Device.cpu());
                Tensor x = Tensor.zeros(ctx, 2, 4, 4, 3);
                Tensor wrong = Tensor.empty(ctx, 2, 8, 7, 3);
                Tensor a = Tensor.zeros(ctx, 2, 4, 4, 5);
                Tensor y = Tensor.empty(ctx, 2, 4, 4, 9)) {
            D4jException up = assertThrows(D4jException.class, () -> Upsample.forward(ctx, wrong, x));
            assertEquals(Status.SHAPE, up.status());
            assertTrue(up.getMessage().contains("y has shape [2, 8, 7, 3] but must be [2, 8, 8, 3]"), up.getMessage());
            D4jException cat = assertThrows(D4jException.class, () -> Concat.forward(ctx, y, x, a));
            assertTrue(cat.getMessage().contains("do not concatenate"), cat.getMessage());
            D4jException add = assertThrows(D4jException.class, () -> Add.forward(ctx, x, x, a));
            assertTrue(add.getMessage().contains("[2, 4, 4, 3]"), add.getMessage());
            D4jException silu = assertThrows(D4jException.class, () -> Silu.forward(ctx, a, x));
            assertEquals(Status.SHAPE, silu.status());
            assertTrue(silu.getMessage().contains("y has shape [2, 4, 4, 5] but x has shape [2, 4, 4, 3]"),
                    silu.getMessage());
            D4jException dsilu = assertThrows(D4jException.class, () -> Silu.backward(ctx, x, a, x));
            assertTrue(dsilu.getMessage().contains("dy has shape [2, 4, 4, 5]"), dsilu.getMessage());
            D4jException upBack = assertThrows(D4jException.class, () -> Upsample.backward(ctx, x, wrong));
            assertTrue(upBack.getMessage().contains("dy has shape [2, 8, 7, 3] but must be [2, 8, 8, 3]"),
                    upBack.getMessage());
            D4jException catBack = assertThrows(D4jException.class, () -> Concat.backward(ctx, x, a, y));
            assertTrue(catBack.getMessage().contains("da [2, 4, 4, 3], db [2, 4, 4, 5] and dy [2, 4, 4, 9]"),
                    catBack.getMessage());
            Tensor closed = Tensor.zeros(ctx, 2, 4, 4, 3);
            closed.close();
            IllegalStateException gone = assertThrows(IllegalStateException.class, () -> Silu.forward(ctx, x, closed));
            assertTrue(gone.getMessage().contains("closed"), gone.getMessage());
            NullPointerException missing = assertThrows(NullPointerException.class, () -> Add.forward(ctx, x, x, null));
            assertTrue(missing.getMessage().contains("b"), missing.getMessage());
        }
    }
}
