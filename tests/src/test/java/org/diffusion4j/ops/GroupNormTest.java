package org.diffusion4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
 * autograd, on NHWC maps and on (N, L, C) token sequences. Tolerances, as relative errors
 * ‖out − ref‖/‖ref‖: 1e-5 forward (a few float32 roundings per element after statistics merged
 * in float64; measured about 2e-7), 2e-5 for gradients (float32 reductions over up to 65536
 * terms for dgamma/dbeta, partial sums per 64-pixel chunk merged in float64; measured below
 * 1e-6). Inputs carry an offset (mean 3) so a naive E[x²] − E[x]² would lose digits; outputs are
 * poisoned with NaN so an unwritten element fails.
 */
class GroupNormTest {
    /** n, h, w, c, groups, silu: odd channel counts, 7×7 and 14×14 maps, batch 1, the U-Net's 64×32×32×64. */
    @ParameterizedTest(name = "{0}x{1}x{2}x{3} g{4} silu={5}")
    @CsvSource({"1, 7, 7, 12, 3, true", "1, 7, 7, 12, 3, false", "2, 14, 14, 40, 8, false", "2, 14, 14, 20, 4, true",
        "3, 8, 8, 64, 32, true", "1, 5, 9, 6, 1, false", "4, 16, 16, 128, 32, true", "64, 32, 32, 64, 32, true",
        "64, 32, 32, 64, 32, false"})
    void matchesLibtorch(int n, int h, int w, int c, int groups, boolean silu) {
        assertMatchesLibtorch(new int[] {n, h, w, c}, groups, silu);
    }

    /** n, l, c, groups, silu: (N, L, C) inputs, every dim between the first and last spatial. */
    @ParameterizedTest(name = "{0}x{1}x{2} g{3} silu={4}")
    @CsvSource({"1, 49, 13, 1, true", "2, 196, 24, 6, false", "5, 7, 96, 32, true"})
    void acceptsTokenSequences(int n, int l, int c, int groups, boolean silu) {
        assertMatchesLibtorch(new int[] {n, l, c}, groups, silu);
    }

    private static void assertMatchesLibtorch(int[] shape, int groups, boolean silu) {
        int n = shape[0];
        int c = shape[shape.length - 1];
        int size = 1;
        for (int d : shape) {
            size *= d;
        }
        float[] x = Torch.random(31, size, 2f);
        for (int i = 0; i < size; i++) {
            x[i] += 3f;
        }
        float[] gamma = Torch.random(32, c, 1f);
        float[] beta = Torch.random(33, c, 1f);
        float[] dy = Torch.random(34, size, 1f);
        float[] dg0 = Torch.random(35, c, 0.1f); // dgamma, dbeta start non-zero: the backward must add
        float[] db0 = Torch.random(36, c, 0.1f);
        float[] y;
        float[] dx;
        float[] dg;
        float[] db;
        float[] mu;
        float[] rs;
        try (Context ctx = Context.create(Device.cpu());
                Tensor tx = Tensor.of(ctx, x, shape);
                Tensor tg = Tensor.of(ctx, gamma, c);
                Tensor tb = Tensor.of(ctx, beta, c);
                Tensor tdy = Tensor.of(ctx, dy, shape);
                Tensor ty = Tensor.empty(ctx, shape).fill(Float.NaN);
                Tensor tdx = Tensor.empty(ctx, shape).fill(Float.NaN);
                Tensor mean = Tensor.empty(ctx, n, groups).fill(Float.NaN);
                Tensor rstd = Tensor.empty(ctx, n, groups).fill(Float.NaN);
                Tensor tdg = Tensor.of(ctx, dg0, c);
                Tensor tdb = Tensor.of(ctx, db0, c)) {
            GroupNorm.forward(ctx, ty, mean, rstd, tx, tg, tb, groups, GroupNorm.DEFAULT_EPS, silu);
            GroupNorm.backward(ctx, tdx, tdg, tdb, tdy, tx, mean, rstd, tg, tb, groups, silu);
            y = ty.toArray();
            dx = tdx.toArray();
            dg = tdg.toArray();
            db = tdb.toArray();
            mu = mean.toArray();
            rs = rstd.toArray();
        }
        org.bytedeco.pytorch.Tensor rx = channelsFirst(x, shape).set_requires_grad(true);
        org.bytedeco.pytorch.Tensor rg = Torch.tensor(gamma, c).set_requires_grad(true);
        org.bytedeco.pytorch.Tensor rb = Torch.tensor(beta, c).set_requires_grad(true);
        org.bytedeco.pytorch.Tensor ry = torch.group_norm(rx, groups, new TensorOptional(rg), new TensorOptional(rb), 1e-5,
                false);
        if (silu) {
            ry = torch.silu(ry);
        }
        ry.mul(channelsFirst(dy, shape)).sum().backward();
        float[] refDg = Torch.array(rg.grad());
        float[] refDb = Torch.array(rb.grad());
        for (int i = 0; i < c; i++) {
            refDg[i] += dg0[i];
            refDb[i] += db0[i];
        }
        // the saved statistics: the group's mean and 1/sqrt(biased var + eps), in float64
        org.bytedeco.pytorch.Tensor grouped = Torch.tensor(x, n, size / n / c, groups, c / groups).to(torch.ScalarType.Double)
                .permute(0, 2, 1, 3).reshape(n, groups, -1);
        org.bytedeco.pytorch.Tensor refMean = grouped.mean(new long[] {2});
        org.bytedeco.pytorch.Tensor refVar = grouped.sub(refMean.unsqueeze(2)).square().mean(new long[] {2});
        float[] refRstd = Torch.array(refVar.add(new org.bytedeco.pytorch.Scalar(1e-5)).rsqrt().to(torch.ScalarType.Float));
        double[] e = {Torch.relativeError(y, channelsLast(ry)), Torch.relativeError(dx, channelsLast(rx.grad())),
            Torch.relativeError(dg, refDg), Torch.relativeError(db, refDb),
            Torch.relativeError(mu, Torch.array(refMean.to(torch.ScalarType.Float))), Torch.relativeError(rs, refRstd)};
        System.out.printf("groupnorm %s g%d silu=%b: y %.2e dx %.2e dgamma %.2e dbeta %.2e mean %.2e rstd %.2e%n",
                java.util.Arrays.toString(shape), groups, silu, e[0], e[1], e[2], e[3], e[4], e[5]);
        assertTrue(e[0] < 1e-5, "forward relative error " + e[0]);
        assertTrue(e[1] < 2e-5, "dx relative error " + e[1]);
        assertTrue(e[2] < 2e-5, "dgamma relative error " + e[2]);
        assertTrue(e[3] < 2e-5, "dbeta relative error " + e[3]);
        assertTrue(e[4] < 1e-6 && e[5] < 1e-6, "statistics relative errors " + e[4] + ", " + e[5]);
    }

    /** Channels-last data (N, ..., C) as libtorch's channels-first (N, C, ...), contiguous. */
    private static org.bytedeco.pytorch.Tensor channelsFirst(float[] data, int[] shape) {
        long[] dims = new long[shape.length];
        long[] perm = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            dims[i] = shape[i];
            perm[i] = i == 0 ? 0 : i == 1 ? shape.length - 1 : i - 1;
        }
        return Torch.tensor(data, dims).permute(perm).contiguous();
    }

    /** A channels-first libtorch tensor's data in channels-last order. */
    private static float[] channelsLast(org.bytedeco.pytorch.Tensor t) {
        int nd = (int) t.dim();
        long[] perm = new long[nd];
        for (int i = 0; i < nd; i++) {
            perm[i] = i == 0 ? 0 : i == nd - 1 ? 1 : i + 1;
        }
        return Torch.array(t.permute(perm));
    }

    @ParameterizedTest(name = "silu={0}")
    @CsvSource({"true", "false"})
    void finiteDifferencesAgree(boolean silu) {
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
            GroupNorm.forward(ctx, ty, mean, rstd, tx, tg, tb, groups, 1e-5f, silu);
            GroupNorm.backward(ctx, tdx, tdg, tdb, tdy, tx, mean, rstd, tg, tb, groups, silu);
            Runnable forward = () -> GroupNorm.forward(ctx, ty, mean, rstd, tx, tg, tb, groups, 1e-5f, silu);
            double ex = GradCheck.maxRelativeError(tx, forward, ty, x, r, tdx.toArray(), 1e-2f, 60);
            double eg = GradCheck.maxRelativeError(tg, forward, ty, gamma, r, tdg.toArray(), 1e-2f, 6);
            double eb = GradCheck.maxRelativeError(tb, forward, ty, beta, r, tdb.toArray(), 1e-2f, 6);
            System.out.printf("groupnorm silu=%b vs finite differences: dx %.2e dgamma %.2e dbeta %.2e%n", silu, ex, eg,
                    eb);
            assertTrue(ex < 2e-2 && eg < 2e-2 && eb < 2e-2,
                    "finite differences: dx " + ex + " dgamma " + eg + " dbeta " + eb);
        }
    }

    /** The fused residual gives dx + residual and the same γ, β gradients, to the bit. */
    @ParameterizedTest(name = "silu={0}")
    @CsvSource({"true", "false"})
    void backwardResidualIsBackwardPlusAdd(boolean silu) {
        int n = 3, hw = 49, c = 24, groups = 8;
        float[] x = Torch.random(51, n * hw * c, 1f);
        float[] gamma = Torch.random(52, c, 1f);
        float[] beta = Torch.random(53, c, 1f);
        float[] dy = Torch.random(54, n * hw * c, 1f);
        float[] res = Torch.random(55, n * hw * c, 1f);
        try (Context ctx = Context.create(Device.cpu());
                Tensor tx = Tensor.of(ctx, x, n, hw, c);
                Tensor tg = Tensor.of(ctx, gamma, c);
                Tensor tb = Tensor.of(ctx, beta, c);
                Tensor ty = Tensor.empty(ctx, n, hw, c);
                Tensor tdy = Tensor.of(ctx, dy, n, hw, c);
                Tensor tr = Tensor.of(ctx, res, n, hw, c);
                Tensor sum = Tensor.empty(ctx, n, hw, c).fill(Float.NaN);
                Tensor fused = Tensor.empty(ctx, n, hw, c).fill(Float.NaN);
                Tensor wrong = Tensor.empty(ctx, n, hw, c + 1);
                Tensor mean = Tensor.empty(ctx, n, groups);
                Tensor rstd = Tensor.empty(ctx, n, groups);
                Tensor dg1 = Tensor.zeros(ctx, c);
                Tensor db1 = Tensor.zeros(ctx, c);
                Tensor dg2 = Tensor.zeros(ctx, c);
                Tensor db2 = Tensor.zeros(ctx, c)) {
            GroupNorm.forward(ctx, ty, mean, rstd, tx, tg, tb, groups, 1e-5f, silu);
            GroupNorm.backward(ctx, sum, dg1, db1, tdy, tx, mean, rstd, tg, tb, groups, silu);
            Add.forward(ctx, sum, sum, tr);
            GroupNorm.backwardResidual(ctx, fused, dg2, db2, tdy, tx, tr, mean, rstd, tg, tb, groups, silu);
            assertArrayEquals(sum.toArray(), fused.toArray());
            assertArrayEquals(dg1.toArray(), dg2.toArray());
            assertArrayEquals(db1.toArray(), db2.toArray());
            D4jException shape = assertThrows(D4jException.class,
                    () -> GroupNorm.backwardResidual(ctx, fused, dg2, db2, tdy, tx, wrong, mean, rstd, tg, tb, groups, silu));
            assertTrue(shape.getMessage().contains("residual has shape [3, 49, 25]"), shape.getMessage());
            D4jException alias = assertThrows(D4jException.class,
                    () -> GroupNorm.backwardResidual(ctx, fused, dg2, db2, tdy, tx, fused, mean, rstd, tg, tb, groups, silu));
            assertTrue(alias.getMessage().contains("distinct"), alias.getMessage());
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
                Tensor g5 = Tensor.zeros(ctx, 5);
                Tensor mean = Tensor.empty(ctx, 2, 4);
                Tensor rstd = Tensor.empty(ctx, 2, 4);
                Tensor mean3 = Tensor.empty(ctx, 2, 3);
                Tensor rstd3 = Tensor.empty(ctx, 2, 3)) {
            D4jException groups = assertThrows(D4jException.class,
                    () -> GroupNorm.forward(ctx, y, mean, rstd, x, g, b, 4, 1e-5f, false));
            assertEquals(Status.INVALID_ARGUMENT, groups.status());
            assertTrue(groups.getMessage().contains("groups is 4"), groups.getMessage());
            D4jException zero = assertThrows(D4jException.class,
                    () -> GroupNorm.forward(ctx, y, mean, rstd, x, g, b, 0, 1e-5f, false));
            assertTrue(zero.getMessage().contains("groups is 0"), zero.getMessage());
            D4jException stats = assertThrows(D4jException.class,
                    () -> GroupNorm.forward(ctx, y, mean, rstd, x, g, b, 3, 1e-5f, false));
            assertEquals(Status.SHAPE, stats.status());
            assertTrue(stats.getMessage().contains("mean has shape [2, 4] but must be [2, 3]"), stats.getMessage());
            D4jException out = assertThrows(D4jException.class,
                    () -> GroupNorm.forward(ctx, y8, mean3, rstd3, x, g, b, 3, 1e-5f, false));
            assertTrue(out.getMessage().contains("y has shape [2, 4, 4, 8]"), out.getMessage());
            D4jException weight = assertThrows(D4jException.class,
                    () -> GroupNorm.forward(ctx, y, mean3, rstd3, x, g5, b, 3, 1e-5f, false));
            assertTrue(weight.getMessage().contains("gamma"), weight.getMessage());
            Tensor mean4 = Tensor.empty(ctx, 2, 4);
            Tensor rstd4 = Tensor.empty(ctx, 2, 4);
            D4jException eps = assertThrows(D4jException.class,
                    () -> GroupNorm.forward(ctx, y8, mean4, rstd4, Tensor.zeros(ctx, 2, 4, 4, 8), Tensor.zeros(ctx, 8),
                            Tensor.zeros(ctx, 8), 4, 0f, false));
            assertTrue(eps.getMessage().contains("eps is 0"), eps.getMessage());
            D4jException grads = assertThrows(D4jException.class,
                    () -> GroupNorm.backward(ctx, y, g5, b, x, x, mean3, rstd3, g, b, 3, true));
            assertTrue(grads.getMessage().contains("dgamma"), grads.getMessage());
            D4jException alias = assertThrows(D4jException.class,
                    () -> GroupNorm.backward(ctx, x, g, b, x, x, mean3, rstd3, g, b, 3, true));
            assertTrue(alias.getMessage().contains("distinct"), alias.getMessage());
            Tensor closed = Tensor.zeros(ctx, 2, 4, 4, 6);
            closed.close();
            IllegalStateException gone = assertThrows(IllegalStateException.class,
                    () -> GroupNorm.forward(ctx, y, mean3, rstd3, closed, g, b, 3, 1e-5f, true));
            assertTrue(gone.getMessage().contains("closed"), gone.getMessage());
            NullPointerException missing = assertThrows(NullPointerException.class,
                    () -> GroupNorm.forward(ctx, y, mean3, rstd3, x, null, b, 3, 1e-5f, true));
            assertTrue(missing.getMessage().contains("gamma"), missing.getMessage());
        }
    }
}
