package org.diffusion4j.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.TensorOptional;
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
 * GroupNorm (+SiLU) forward and gradients against libtorch's group_norm (and silu) with
 * autograd. Tolerances: 1e-5 forward (a few roundings per element after float64-merged
 * statistics), 2e-5 for gradients (group reductions of up to 2048 terms in float32).
 * Inputs carry an offset (mean 3) so a naive E[x²] − E[x]² would lose digits.
 */
class GroupNormTest {
    /** n, h, w, c, groups, silu */
    @ParameterizedTest(name = "{0}x{1}x{2}x{3} g{4} silu={5}")
    @CsvSource({"1, 7, 7, 12, 3, true", "2, 14, 14, 40, 8, false", "3, 8, 8, 64, 32, true", "1, 5, 9, 6, 1, false",
        "4, 16, 16, 128, 32, true"})
    void matchesLibtorch(int n, int h, int w, int c, int groups, boolean silu) {
        int size = n * h * w * c;
        float[] x = Torch.random(31, size, 2f);
        for (int i = 0; i < size; i++) {
            x[i] += 3f;
        }
        float[] gamma = Torch.random(32, c, 1f);
        float[] beta = Torch.random(33, c, 1f);
        float[] dy = Torch.random(34, size, 1f);
        float[] dg0 = Torch.random(35, c, 0.1f);
        float[] db0 = Torch.random(36, c, 0.1f);
        float[] y;
        float[] dx;
        float[] dg;
        float[] db;
        try (Context ctx = Context.create(Device.cpu());
                Tensor tx = Tensor.of(ctx, x, n, h, w, c);
                Tensor tg = Tensor.of(ctx, gamma, c);
                Tensor tb = Tensor.of(ctx, beta, c);
                Tensor tdy = Tensor.of(ctx, dy, n, h, w, c);
                Tensor ty = Tensor.empty(ctx, n, h, w, c).fill(Float.NaN);
                Tensor tdx = Tensor.empty(ctx, n, h, w, c).fill(Float.NaN);
                Tensor mean = Tensor.empty(ctx, n, groups);
                Tensor rstd = Tensor.empty(ctx, n, groups);
                Tensor tdg = Tensor.of(ctx, dg0, c);
                Tensor tdb = Tensor.of(ctx, db0, c)) {
            GroupNorm.forward(ctx, ty, mean, rstd, tx, tg, tb, groups, GroupNorm.DEFAULT_EPS, silu);
            GroupNorm.backward(ctx, tdx, tdg, tdb, tdy, tx, mean, rstd, tg, tb, groups, silu);
            y = ty.toArray();
            dx = tdx.toArray();
            dg = tdg.toArray();
            db = tdb.toArray();
        }
        org.bytedeco.pytorch.Tensor rx = Torch.nchw(x, n, h, w, c).set_requires_grad(true);
        org.bytedeco.pytorch.Tensor rg = Torch.tensor(gamma, c).set_requires_grad(true);
        org.bytedeco.pytorch.Tensor rb = Torch.tensor(beta, c).set_requires_grad(true);
        org.bytedeco.pytorch.Tensor ry = torch.group_norm(rx, groups, new TensorOptional(rg), new TensorOptional(rb), 1e-5,
                false);
        if (silu) {
            ry = torch.silu(ry);
        }
        ry.mul(Torch.nchw(dy, n, h, w, c)).sum().backward();
        float[] refDg = Torch.array(rg.grad());
        float[] refDb = Torch.array(rb.grad());
        for (int i = 0; i < c; i++) {
            refDg[i] += dg0[i];
            refDb[i] += db0[i];
        }
        double[] e = {Torch.relativeError(y, Torch.nhwc(ry)), Torch.relativeError(dx, Torch.nhwc(rx.grad())),
            Torch.relativeError(dg, refDg), Torch.relativeError(db, refDb)};
        System.out.printf("groupnorm %dx%dx%dx%d g%d silu=%b: y %.2e dx %.2e dgamma %.2e dbeta %.2e%n", n, h, w, c, groups,
                silu, e[0], e[1], e[2], e[3]);
        assertTrue(e[0] < 1e-5, "forward relative error " + e[0]);
        assertTrue(e[1] < 2e-5, "dx relative error " + e[1]);
        assertTrue(e[2] < 2e-5, "dgamma relative error " + e[2]);
        assertTrue(e[3] < 2e-5, "dbeta relative error " + e[3]);
    }

    @Test
    void finiteDifferencesAgree() {
        int n = 2, hw = 5, c = 6, groups = 2;
        float[] x = Torch.random(41, n * hw * c, 1f);
        float[] gamma = Torch.random(42, c, 1f);
        float[] beta = Torch.random(43, c, 1f);
        float[] r = Torch.random(44, n * hw * c, 1f);
        try (Context ctx = Context.create(Device.cpu());
                Tensor tx = Tensor.of(ctx, x, n, hw, c);
                Tensor tg = Tensor.of(ctx, gamma, c);
                Tensor tb = Tensor.of(ctx, beta, c);
                Tensor ty = Tensor.empty(ctx, n, hw, c);
                Tensor tdy = Tensor.of(ctx, r, n, hw, c);
                Tensor tdx = Tensor.empty(ctx, n, hw, c);
                Tensor mean = Tensor.empty(ctx, n, groups);
                Tensor rstd = Tensor.empty(ctx, n, groups);
                Tensor tdg = Tensor.zeros(ctx, c);
                Tensor tdb = Tensor.zeros(ctx, c)) {
            GroupNorm.forward(ctx, ty, mean, rstd, tx, tg, tb, groups, 1e-5f, true);
            GroupNorm.backward(ctx, tdx, tdg, tdb, tdy, tx, mean, rstd, tg, tb, groups, true);
            double ex = GradCheck.maxRelativeError(xs -> {
                tx.copyFrom(xs);
                GroupNorm.forward(ctx, ty, mean, rstd, tx, tg, tb, groups, 1e-5f, true);
                return ty.toArray();
            }, x, r, tdx.toArray(), 1e-2f, 60);
            tx.copyFrom(x);
            double eg = GradCheck.maxRelativeError(gs -> {
                tg.copyFrom(gs);
                GroupNorm.forward(ctx, ty, mean, rstd, tx, tg, tb, groups, 1e-5f, true);
                return ty.toArray();
            }, gamma, r, tdg.toArray(), 1e-2f, 6);
            assertTrue(ex < 2e-2 && eg < 2e-2, "finite differences: dx " + ex + " dgamma " + eg);
        }
    }

    @Test
    void badArgumentsNameTheValue() {
        try (Context ctx = Context.create(Device.cpu());
                Tensor x = Tensor.zeros(ctx, 2, 4, 4, 6);
                Tensor y = Tensor.empty(ctx, 2, 4, 4, 6);
                Tensor y8 = Tensor.empty(ctx, 2, 4, 4, 8);
                Tensor g = Tensor.zeros(ctx, 6);
                Tensor b = Tensor.zeros(ctx, 6);
                Tensor mean = Tensor.empty(ctx, 2, 4);
                Tensor rstd = Tensor.empty(ctx, 2, 4)) {
            D4jException groups = assertThrows(D4jException.class,
                    () -> GroupNorm.forward(ctx, y, mean, rstd, x, g, b, 4, 1e-5f, false));
            assertEquals(Status.INVALID_ARGUMENT, groups.status());
            assertTrue(groups.getMessage().contains("groups is 4"), groups.getMessage());
            D4jException stats = assertThrows(D4jException.class,
                    () -> GroupNorm.forward(ctx, y, mean, rstd, x, g, b, 3, 1e-5f, false));
            assertTrue(stats.getMessage().contains("mean has shape [2, 4] but must be [2, 3]"), stats.getMessage());
            Tensor mean4 = Tensor.empty(ctx, 2, 4);
            Tensor rstd4 = Tensor.empty(ctx, 2, 4);
            D4jException eps = assertThrows(D4jException.class,
                    () -> GroupNorm.forward(ctx, y8, mean4, rstd4, Tensor.zeros(ctx, 2, 4, 4, 8), Tensor.zeros(ctx, 8),
                            Tensor.zeros(ctx, 8), 4, 0f, false));
            assertTrue(eps.getMessage().contains("eps is 0"), eps.getMessage());
        }
    }
}
