package org.diffusion4j.ops;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.diffusion4j.Context;
import org.diffusion4j.D4jException;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.testing.GradCheck;
import org.diffusion4j.testing.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Linear layers against libtorch's linear and autograd (our w is (K, N), libtorch's (N, K)).
 * Tolerance 1e-5 relative, as for convolution (sums of up to 512 float32 products).
 */
class LinearTest {
    @ParameterizedTest(name = "{0}x{1} -> {2}")
    @CsvSource({"1, 7, 13", "64, 128, 512", "37, 512, 128", "128, 3, 33"})
    void matchesLibtorch(int rows, int k, int n) {
        float[] x = Torch.random(11, rows * k, 1f);
        float[] w = Torch.random(12, k * n, 0.2f);
        float[] b = Torch.random(13, n, 1f);
        float[] dy = Torch.random(14, rows * n, 1f);
        float[] dw0 = Torch.random(15, k * n, 0.1f);
        float[] y;
        float[] dx;
        float[] dw;
        float[] db;
        try (Context ctx = Context.create(Device.cpu());
                Tensor tx = Tensor.of(ctx, x, rows, k);
                Tensor tw = Tensor.of(ctx, w, k, n);
                Tensor tb = Tensor.of(ctx, b, n);
                Tensor tdy = Tensor.of(ctx, dy, rows, n);
                Tensor ty = Tensor.empty(ctx, rows, n).fill(Float.NaN);
                Tensor tdx = Tensor.empty(ctx, rows, k).fill(Float.NaN);
                Tensor tdw = Tensor.of(ctx, dw0, k, n);
                Tensor tdb = Tensor.zeros(ctx, n)) {
            Linear.forward(ctx, ty, tx, tw, tb);
            Linear.backwardData(ctx, tdx, tdy, tw);
            Linear.backwardWeights(ctx, tdw, tdb, tdy, tx);
            y = ty.toArray();
            dx = tdx.toArray();
            dw = tdw.toArray();
            db = tdb.toArray();
        }
        org.bytedeco.pytorch.Tensor rx = Torch.tensor(x, rows, k).set_requires_grad(true);
        org.bytedeco.pytorch.Tensor rw = Torch.tensor(w, k, n).t().contiguous().set_requires_grad(true);
        org.bytedeco.pytorch.Tensor rb = Torch.tensor(b, n).set_requires_grad(true);
        org.bytedeco.pytorch.Tensor ry = torch.linear(rx, rw, new TensorOptional(rb));
        ry.mul(Torch.tensor(dy, rows, n)).sum().backward();
        float[] refDw = Torch.array(rw.grad().t());
        for (int i = 0; i < refDw.length; i++) {
            refDw[i] += dw0[i];
        }
        double[] e = {Torch.relativeError(y, Torch.array(ry)), Torch.relativeError(dx, Torch.array(rx.grad())),
            Torch.relativeError(dw, refDw), Torch.relativeError(db, Torch.array(rb.grad()))};
        System.out.printf("linear %dx%d->%d: y %.2e dx %.2e dw %.2e db %.2e%n", rows, k, n, e[0], e[1], e[2], e[3]);
        for (double err : e) {
            assertTrue(err < 1e-5, "relative error " + err);
        }
    }

    @Test
    void finiteDifferencesAgree() {
        float[] x = Torch.random(21, 4 * 6, 1f);
        float[] w = Torch.random(22, 6 * 5, 0.5f);
        float[] r = Torch.random(23, 4 * 5, 1f);
        try (Context ctx = Context.create(Device.cpu());
                Tensor tx = Tensor.of(ctx, x, 2, 2, 6); // leading dims are flattened into rows
                Tensor tw = Tensor.of(ctx, w, 6, 5);
                Tensor ty = Tensor.empty(ctx, 2, 2, 5);
                Tensor tdy = Tensor.of(ctx, r, 2, 2, 5);
                Tensor tdx = Tensor.empty(ctx, 2, 2, 6);
                Tensor tdw = Tensor.zeros(ctx, 6, 5)) {
            Linear.backwardData(ctx, tdx, tdy, tw);
            Linear.backwardWeights(ctx, tdw, null, tdy, tx);
            double ex = GradCheck.maxRelativeError(xs -> {
                tx.copyFrom(xs);
                Linear.forward(ctx, ty, tx, tw, null);
                return ty.toArray();
            }, x, r, tdx.toArray(), 1e-2f, 24);
            tx.copyFrom(x);
            double ew = GradCheck.maxRelativeError(ws -> {
                tw.copyFrom(ws);
                Linear.forward(ctx, ty, tx, tw, null);
                return ty.toArray();
            }, w, r, tdw.toArray(), 1e-2f, 30);
            assertTrue(ex < 1e-2 && ew < 1e-2, "finite differences: dx " + ex + " dw " + ew);
        }
    }

    @Test
    void badShapesNameTheValue() {
        try (Context ctx = Context.create(Device.cpu());
                Tensor x = Tensor.zeros(ctx, 4, 6);
                Tensor w = Tensor.zeros(ctx, 5, 3);
                Tensor y = Tensor.empty(ctx, 4, 3)) {
            D4jException e = assertThrows(D4jException.class, () -> Linear.forward(ctx, y, x, w, null));
            assertTrue(e.getMessage().contains("w has shape [5, 3]; it must be (K=6, N)"), e.getMessage());
        }
    }
}
