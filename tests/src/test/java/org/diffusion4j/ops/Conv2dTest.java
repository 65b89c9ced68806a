package org.diffusion4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.diffusion4j.Context;
import org.diffusion4j.ConvAlgorithm;
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
 * Convolution forward, backward-data and backward-weights against libtorch's conv2d and its
 * autograd (weights permuted from (K, K, Cin, Cout) to (Cout, Cin, K, K), activations NHWC ↔
 * NCHW). Tolerances: relative error 1e-5 — float32 sums of up to 9·128 products accumulated in
 * a different order than libtorch's, whose rounding error grows like √K·2⁻²⁴ ≈ 2e-6.
 */
class Conv2dTest {
    static final double TOL = 1e-5;

    /** n, h, w, cin, cout, k, stride, pad */
    @ParameterizedTest(name = "{0}x{1}x{2}x{3} -> {4}, k{5} s{6} p{7}")
    @CsvSource({
        "2, 14, 14, 13, 19, 3, 1, 1",
        "1, 7, 7, 5, 8, 3, 2, 1",
        "3, 9, 11, 16, 33, 3, 2, 1",
        "2, 14, 14, 24, 7, 1, 1, 0",
        "1, 8, 8, 64, 64, 3, 1, 1",
        "2, 6, 5, 3, 17, 3, 1, 2",
        "1, 5, 7, 6, 5, 1, 2, 0",
        // thin layers (at most 4 channels on one side, stride 1: conv2d_thin.c), the U-Net's first and last
        "2, 28, 28, 1, 32, 3, 1, 1",
        "2, 28, 28, 32, 1, 3, 1, 1",
        "1, 9, 9, 40, 2, 5, 1, 2",
    })
    void matchesLibtorch(int n, int h, int w, int cin, int cout, int k, int stride, int pad) {
        assertWithin(compareWithLibtorch(ConvAlgorithm.DIRECT, n, h, w, cin, cout, k, stride, pad), TOL);
    }

    /** Fails unless each of the relative errors of y, dx, dw, db is below tol. */
    static void assertWithin(double[] e, double tol) {
        assertTrue(e[0] < tol, "forward relative error " + e[0]);
        assertTrue(e[1] < tol, "backward data relative error " + e[1]);
        assertTrue(e[2] < tol, "backward weights relative error " + e[2]);
        assertTrue(e[3] < tol, "backward bias relative error " + e[3]);
    }

    /**
     * Runs forward, backward data and backward weights with {@code algorithm} and libtorch's conv2d
     * and autograd on the same random data; returns the relative errors of y, dx, dw and db.
     */
    static double[] compareWithLibtorch(ConvAlgorithm algorithm, int n, int h, int w, int cin, int cout, int k,
            int stride, int pad) {
        int ho = Conv2d.outputSize(h, k, stride, pad);
        int wo = Conv2d.outputSize(w, k, stride, pad);
        float[] x = Torch.random(1, n * h * w * cin, 1f);
        float[] wt = Torch.random(2, k * k * cin * cout, 0.3f);
        float[] b = Torch.random(3, cout, 0.5f);
        float[] dy = Torch.random(4, n * ho * wo * cout, 1f);
        float[] dw0 = Torch.random(5, wt.length, 0.1f); // dw accumulates: start from non-zero
        float[] db0 = Torch.random(6, cout, 0.1f);

        float[] y;
        float[] dx;
        float[] dw;
        float[] db;
        try (Context ctx = Context.create(Device.cpu());
                Tensor tx = Tensor.of(ctx, x, n, h, w, cin);
                Tensor tw = Tensor.of(ctx, wt, k, k, cin, cout);
                Tensor tb = Tensor.of(ctx, b, cout);
                Tensor ty = Tensor.empty(ctx, n, ho, wo, cout).fill(Float.NaN);
                Tensor tdy = Tensor.of(ctx, dy, n, ho, wo, cout);
                Tensor tdx = Tensor.empty(ctx, n, h, w, cin).fill(Float.NaN);
                Tensor tdw = Tensor.of(ctx, dw0, k, k, cin, cout);
                Tensor tdb = Tensor.of(ctx, db0, cout)) {
            ctx.setConvAlgorithm(algorithm);
            Conv2d.forward(ctx, ty, tx, tw, tb, stride, pad);
            Conv2d.backwardData(ctx, tdx, tdy, tw, stride, pad);
            Conv2d.backwardWeights(ctx, tdw, tdb, tdy, tx, stride, pad);
            y = ty.toArray();
            dx = tdx.toArray();
            dw = tdw.toArray();
            db = tdb.toArray();
        }

        org.bytedeco.pytorch.Tensor rx = Torch.nchw(x, n, h, w, cin).set_requires_grad(true);
        org.bytedeco.pytorch.Tensor rw = Torch.tensor(wt, k, k, cin, cout).permute(3, 2, 0, 1).contiguous()
                .set_requires_grad(true);
        org.bytedeco.pytorch.Tensor rb = Torch.tensor(b, cout).set_requires_grad(true);
        org.bytedeco.pytorch.Tensor ry = torch.conv2d(rx, rw, new TensorOptional(rb), new long[] {stride, stride}, new long[] {pad, pad},
                new long[] {1, 1}, 1);
        ry.mul(Torch.nchw(dy, n, ho, wo, cout)).sum().backward(); // L = Σ y·dy, so ∂L/∂y = dy
        float[] refY = Torch.nhwc(ry);
        float[] refDx = Torch.nhwc(rx.grad());
        float[] refDw = Torch.array(rw.grad().permute(2, 3, 1, 0)); // back to (K, K, Cin, Cout)
        float[] refDb = Torch.array(rb.grad());
        for (int i = 0; i < refDw.length; i++) {
            refDw[i] += dw0[i];
        }
        for (int i = 0; i < cout; i++) {
            refDb[i] += db0[i];
        }
        double ey = Torch.relativeError(y, refY);
        double edx = Torch.relativeError(dx, refDx);
        double edw = Torch.relativeError(dw, refDw);
        double edb = Torch.relativeError(db, refDb);
        System.out.printf("conv %dx%dx%dx%d->%d k%d s%d p%d %s: y %.2e dx %.2e dw %.2e db %.2e%n", n, h, w, cin, cout,
                k, stride, pad, algorithm, ey, edx, edw, edb);
        return new double[] {ey, edx, edw, edb};
    }

    /** Central differences on the CPU backend, independent of libtorch. */
    @Test
    void finiteDifferencesAgree() {
        int n = 1, h = 5, w = 6, cin = 3, cout = 4, k = 3, stride = 2, pad = 1;
        int ho = Conv2d.outputSize(h, k, stride, pad);
        int wo = Conv2d.outputSize(w, k, stride, pad);
        float[] x = Torch.random(7, n * h * w * cin, 1f);
        float[] wt = Torch.random(8, k * k * cin * cout, 0.5f);
        float[] r = Torch.random(9, n * ho * wo * cout, 1f);
        try (Context ctx = Context.create(Device.cpu());
                Tensor tx = Tensor.of(ctx, x, n, h, w, cin);
                Tensor tw = Tensor.of(ctx, wt, k, k, cin, cout);
                Tensor ty = Tensor.empty(ctx, n, ho, wo, cout);
                Tensor tdy = Tensor.of(ctx, r, n, ho, wo, cout);
                Tensor tdx = Tensor.empty(ctx, n, h, w, cin);
                Tensor tdw = Tensor.zeros(ctx, k, k, cin, cout)) {
            Conv2d.backwardData(ctx, tdx, tdy, tw, stride, pad);
            Conv2d.backwardWeights(ctx, tdw, null, tdy, tx, stride, pad);
            double ex = GradCheck.maxRelativeError(xs -> {
                tx.copyFrom(xs);
                Conv2d.forward(ctx, ty, tx, tw, null, stride, pad);
                return ty.toArray();
            }, x, r, tdx.toArray(), 1e-2f, 90);
            tx.copyFrom(x);
            double ew = GradCheck.maxRelativeError(ws -> {
                tw.copyFrom(ws);
                Conv2d.forward(ctx, ty, tx, tw, null, stride, pad);
                return ty.toArray();
            }, wt, r, tdw.toArray(), 1e-2f, 108);
            assertTrue(ex < 1e-2, "dx vs finite differences " + ex);
            assertTrue(ew < 1e-2, "dw vs finite differences " + ew);
        }
    }

    /** The fused residual gives the bits of forward + add under each algorithm; its checks name the value. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"AUTO", "DIRECT", "WINOGRAD_2X2", "WINOGRAD_4X4"})
    void forwardResidualIsForwardPlusAdd(ConvAlgorithm algorithm) {
        float[] x = Torch.random(11, 2 * 7 * 7 * 13, 1f);
        float[] w = Torch.random(12, 9 * 13 * 13, 0.3f);
        float[] b = Torch.random(13, 13, 0.5f);
        float[] res = Torch.random(14, 2 * 7 * 7 * 13, 1f);
        try (Context ctx = Context.create(Device.cpu());
                Tensor tx = Tensor.of(ctx, x, 2, 7, 7, 13);
                Tensor tw = Tensor.of(ctx, w, 3, 3, 13, 13);
                Tensor tb = Tensor.of(ctx, b, 13);
                Tensor tr = Tensor.of(ctx, res, 2, 7, 7, 13);
                Tensor sum = Tensor.empty(ctx, 2, 7, 7, 13).fill(Float.NaN);
                Tensor fused = Tensor.empty(ctx, 2, 7, 7, 13).fill(Float.NaN);
                Tensor wrong = Tensor.empty(ctx, 2, 7, 7, 12)) {
            ctx.setConvAlgorithm(algorithm);
            Conv2d.forward(ctx, sum, tx, tw, tb, 1, 1);
            Add.forward(ctx, sum, sum, tr);
            Conv2d.forwardResidual(ctx, fused, tx, tr, tw, tb, 1, 1);
            assertArrayEquals(sum.toArray(), fused.toArray());
            Conv2d.forward(ctx, sum, tx, tw, tb, 1, 1);
            Add.forward(ctx, sum, sum, tx);
            Conv2d.forwardResidual(ctx, fused, tx, tx, tw, tb, 1, 1); // the identity skip: residual = x
            assertArrayEquals(sum.toArray(), fused.toArray());
            D4jException shape = assertThrows(D4jException.class,
                    () -> Conv2d.forwardResidual(ctx, fused, tx, wrong, tw, tb, 1, 1));
            assertTrue(shape.getMessage().contains("residual has shape [2, 7, 7, 12]"), shape.getMessage());
            D4jException alias = assertThrows(D4jException.class,
                    () -> Conv2d.forwardResidual(ctx, fused, tx, fused, tw, tb, 1, 1));
            assertTrue(alias.getMessage().contains("alias"), alias.getMessage());
            assertThrows(NullPointerException.class, () -> Conv2d.forwardResidual(ctx, fused, tx, null, tw, tb, 1, 1));
        }
    }

    @Test
    void badShapesAndArgumentsNameTheValue() {
        try (Context ctx = Context.create(Device.cpu());
                Tensor x = Tensor.zeros(ctx, 1, 8, 8, 4);
                Tensor w = Tensor.zeros(ctx, 3, 3, 4, 6);
                Tensor wrongW = Tensor.zeros(ctx, 3, 3, 5, 6);
                Tensor y = Tensor.empty(ctx, 1, 8, 8, 6);
                Tensor small = Tensor.empty(ctx, 1, 4, 4, 6);
                Tensor bias = Tensor.zeros(ctx, 7)) {
            D4jException cin = assertThrows(D4jException.class, () -> Conv2d.forward(ctx, y, x, wrongW, null, 1, 1));
            assertTrue(cin.getMessage().contains("w has shape [3, 3, 5, 6]"), cin.getMessage());
            D4jException out = assertThrows(D4jException.class, () -> Conv2d.forward(ctx, small, x, w, null, 1, 1));
            assertEquals(Status.SHAPE, out.status());
            assertTrue(out.getMessage().contains("[1, 4, 4, 6] but must be [1, 8, 8, 6]"), out.getMessage());
            D4jException st = assertThrows(D4jException.class, () -> Conv2d.forward(ctx, y, x, w, null, 0, 1));
            assertTrue(st.getMessage().contains("stride is 0"), st.getMessage());
            D4jException pd = assertThrows(D4jException.class, () -> Conv2d.forward(ctx, y, x, w, null, 1, 3));
            assertTrue(pd.getMessage().contains("pad is 3"), pd.getMessage());
            D4jException b = assertThrows(D4jException.class, () -> Conv2d.forward(ctx, y, x, w, bias, 1, 1));
            assertTrue(b.getMessage().contains("bias has shape [7]"), b.getMessage());
            D4jException alias = assertThrows(D4jException.class, () -> Conv2d.backwardData(ctx, y, y, w, 1, 1));
            assertTrue(alias.getMessage().contains("alias") || alias.getMessage().contains("shape"), alias.getMessage());
            x.close();
            assertThrows(IllegalStateException.class, () -> Conv2d.forward(ctx, y, x, w, null, 1, 1));
        }
    }
}
