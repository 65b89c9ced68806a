package org.diffusion4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.AbstractTensor;
import org.bytedeco.pytorch.Scalar;
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
 * The timestep embedding against improved-diffusion's timestep_embedding written in libtorch
 * (float64, rounded once: 1e-7 relative, one float32 rounding), dropout's mask statistics and
 * replay, and the MSE loss and its gradient against libtorch's mse_loss with autograd (1e-6:
 * our sum is float64, libtorch's a float32 reduction).
 */
class EmbeddingDropoutLossTest {
    @ParameterizedTest(name = "batch {0}, dim {1}")
    @CsvSource({"1, 2", "7, 64", "300, 128"})
    void timestepEmbeddingMatchesImprovedDiffusion(int batch, int dim) {
        int[] t = new int[batch];
        for (int i = 0; i < batch; i++) {
            t[i] = (i * 37 + 3) % 1000;
        }
        t[batch - 1] = batch > 1 ? 123457 : 999; // far beyond T: the argument reduction of cos and sin
        float[] e;
        try (Context ctx = Context.create(Device.cpu()); Tensor out = Tensor.empty(ctx, batch, dim).fill(Float.NaN)) {
            TimestepEmbedding.forward(ctx, out, t, TimestepEmbedding.DEFAULT_MAX_PERIOD);
            e = out.toArray();
        }
        // improved-diffusion (nn.py, timestep_embedding), in float64:
        //   freqs = exp(-log(max_period) * arange(half) / half); args = t[:, None] * freqs[None]
        //   embedding = cat([cos(args), sin(args)], -1)
        int half = dim / 2;
        int[] index = new int[half];
        for (int i = 0; i < half; i++) {
            index[i] = i;
        }
        org.bytedeco.pytorch.Tensor freqs = torch.exp(AbstractTensor.create(index).to(torch.ScalarType.Double)
                .mul(new Scalar(-Math.log(TimestepEmbedding.DEFAULT_MAX_PERIOD))).div(new Scalar((double) half)));
        org.bytedeco.pytorch.Tensor args = AbstractTensor.create(t).to(torch.ScalarType.Double).unsqueeze(1)
                .mul(freqs.unsqueeze(0));
        float[] ref = Torch.array(torch.cat(new TensorVector(torch.cos(args), torch.sin(args)), 1).to(torch.ScalarType.Float));
        double err = Torch.relativeError(e, ref);
        System.out.printf("timestep embedding batch %d dim %d: %.2e%n", batch, dim, err);
        assertTrue(err < 1e-7, "relative error " + err);
    }

    @Test
    void timestepEmbeddingRejectsBadArguments() {
        try (Context ctx = Context.create(Device.cpu());
                Tensor out = Tensor.empty(ctx, 3, 8);
                Tensor odd = Tensor.empty(ctx, 3, 7)) {
            D4jException neg = assertThrows(D4jException.class,
                    () -> TimestepEmbedding.forward(ctx, out, new int[] {4, 5, -1}, 10000f));
            assertEquals(Status.INVALID_ARGUMENT, neg.status());
            assertTrue(neg.getMessage().contains("t[2] is -1"), neg.getMessage());
            D4jException dim = assertThrows(D4jException.class,
                    () -> TimestepEmbedding.forward(ctx, odd, new int[] {1, 2, 3}, 10000f));
            assertTrue(dim.getMessage().contains("out has shape [3, 7]"), dim.getMessage());
            D4jException rows = assertThrows(D4jException.class,
                    () -> TimestepEmbedding.forward(ctx, out, new int[] {1, 2}, 10000f));
            assertTrue(rows.getMessage().contains("batch is 2 but out has 3 rows"), rows.getMessage());
            D4jException period = assertThrows(D4jException.class,
                    () -> TimestepEmbedding.forward(ctx, out, new int[] {1, 2, 3}, 0.5f));
            assertTrue(period.getMessage().contains("max_period is 0.5"), period.getMessage());
            assertThrows(NullPointerException.class, () -> TimestepEmbedding.forward(ctx, out, null, 10000f));
        }
    }

    /** n, h, w, c, p: batch 1 with a 7×7 map, odd channels on 14×14, and 65536 elements for the statistics. */
    @ParameterizedTest(name = "{0}x{1}x{2}x{3}, p = {4}")
    @CsvSource({"1, 7, 7, 3, 0.5", "2, 14, 14, 13, 0.1", "8, 32, 32, 8, 0.3"})
    void dropoutKeepsOneMinusPAndReplaysItsMask(int n, int h, int w, int c, float p) {
        int size = n * h * w * c;
        float[] x = Torch.random(61, size, 1f);
        float[] dy = Torch.random(62, size, 1f);
        try (Context ctx = Context.create(Device.cpu(), 9);
                Tensor tx = Tensor.of(ctx, x, n, h, w, c);
                Tensor tdy = Tensor.of(ctx, dy, n, h, w, c);
                Tensor y = Tensor.empty(ctx, n, h, w, c).fill(Float.NaN);
                Tensor dx = Tensor.empty(ctx, n, h, w, c).fill(Float.NaN)) {
            Dropout.Mask mask = Dropout.forward(ctx, y, tx, p);
            Dropout.backward(ctx, dx, tdy, p, mask);
            float[] out = y.toArray();
            float[] grad = dx.toArray();
            float scale = 1f / (1f - p);
            int kept = 0;
            for (int i = 0; i < size; i++) {
                boolean keep = out[i] != 0f; // x is never exactly 0
                kept += keep ? 1 : 0;
                assertEquals(keep ? x[i] * scale : 0f, out[i], "y[" + i + "]");
                assertEquals(keep ? dy[i] * scale : 0f, grad[i], "dx[" + i + "]: the forward's mask");
            }
            // kept ~ Binomial(size, 1 - p): within 5 standard errors
            double se = Math.sqrt(size * p * (1 - p));
            assertTrue(Math.abs(kept - size * (1 - p)) < 5 * se, "kept " + kept + " of " + size + " at p = " + p);
            Dropout.Mask next = Dropout.forward(ctx, dx, tx, p);
            assertEquals(mask.seed(), next.seed());
            assertEquals(mask.offset() + (size + 3) / 4, next.offset(), "the stream advances by the blocks used");
            if (size > 64) {
                assertTrue(!java.util.Arrays.equals(out, dx.toArray()), "a second forward draws a new mask");
            }
            Dropout.forward(ctx, dx.fill(Float.NaN), tx, 0f);
            assertArrayEquals(x, dx.toArray(), "p = 0 is the identity");
            Dropout.backward(ctx, dx.fill(Float.NaN), tdy, 0f, next);
            assertArrayEquals(dy, dx.toArray(), "p = 0 is the identity backward");
        }
    }

    @Test
    void dropoutFiniteDifferences() {
        int n = 2 * 3 * 3 * 5;
        float p = 0.4f;
        float[] x = Torch.random(63, n, 1f);
        float[] r = Torch.random(64, n, 1f);
        try (Context ctx = Context.create(Device.cpu(), 11);
                Tensor tx = Tensor.of(ctx, x, 2, 3, 3, 5);
                Tensor y = Tensor.empty(ctx, 2, 3, 3, 5);
                Tensor tr = Tensor.of(ctx, r, 2, 3, 3, 5);
                Tensor dx = Tensor.empty(ctx, 2, 3, 3, 5)) {
            Dropout.Mask mask = Dropout.forward(ctx, y, tx, p);
            Dropout.backward(ctx, dx, tr, p, mask);
            Runnable forward = () -> {
                ctx.setRng(mask.seed(), mask.offset()); // the same mask at every evaluation
                Dropout.forward(ctx, y, tx, p);
            };
            double e = GradCheck.maxRelativeError(tx, forward, y, x, r, dx.toArray(), 1e-2f, n);
            assertTrue(e < 1e-2, "dropout vs finite differences " + e);
        }
    }

    @Test
    void dropoutRejectsBadP() {
        try (Context ctx = Context.create(Device.cpu());
                Tensor x = Tensor.zeros(ctx, 2, 4, 4, 3);
                Tensor y = Tensor.empty(ctx, 2, 4, 4, 3);
                Tensor wrong = Tensor.empty(ctx, 2, 4, 4, 5)) {
            D4jException one = assertThrows(D4jException.class, () -> Dropout.forward(ctx, y, x, 1f));
            assertEquals(Status.INVALID_ARGUMENT, one.status());
            assertTrue(one.getMessage().contains("p is 1"), one.getMessage());
            D4jException negative = assertThrows(D4jException.class, () -> Dropout.forward(ctx, y, x, -0.1f));
            assertTrue(negative.getMessage().contains("p is -0.1"), negative.getMessage());
            D4jException nan = assertThrows(D4jException.class,
                    () -> Dropout.backward(ctx, y, x, Float.NaN, new Dropout.Mask(1, 0)));
            assertTrue(nan.getMessage().contains("p is nan"), nan.getMessage());
            D4jException shape = assertThrows(D4jException.class, () -> Dropout.forward(ctx, wrong, x, 0.1f));
            assertTrue(shape.getMessage().contains("y has shape [2, 4, 4, 5] but x has shape [2, 4, 4, 3]"),
                    shape.getMessage());
            assertThrows(NullPointerException.class, () -> Dropout.backward(ctx, y, x, 0.1f, null));
        }
    }

    /** n, h, w, c: batch 1 with a 7×7 map, odd channels on 14×14, a Fashion-MNIST batch (parallel path). */
    @ParameterizedTest(name = "{0}x{1}x{2}x{3}")
    @CsvSource({"1, 7, 7, 3", "2, 14, 14, 13", "64, 28, 28, 1"})
    void mseMatchesLibtorch(int n, int h, int w, int c) {
        int size = n * h * w * c;
        float[] pred = Torch.random(65, size, 2f);
        float[] target = Torch.random(66, size, 1f);
        try (Context ctx = Context.create(Device.cpu());
                Tensor tp = Tensor.of(ctx, pred, n, h, w, c);
                Tensor tt = Tensor.of(ctx, target, n, h, w, c);
                Tensor loss = Tensor.empty(ctx, 1).fill(Float.NaN);
                Tensor grad = Tensor.empty(ctx, n, h, w, c).fill(Float.NaN)) {
            MseLoss.forward(ctx, loss, grad, tp, tt);
            org.bytedeco.pytorch.Tensor rp = Torch.tensor(pred, size).set_requires_grad(true);
            org.bytedeco.pytorch.Tensor rl = torch.mse_loss(rp, Torch.tensor(target, size));
            rl.backward();
            float ref = Torch.array(rl)[0];
            double el = Math.abs(loss.toArray()[0] - ref) / ref;
            double eg = Torch.relativeError(grad.toArray(), Torch.array(rp.grad()));
            System.out.printf("mse %dx%dx%dx%d: loss %.2e dpred %.2e%n", n, h, w, c, el, eg);
            assertTrue(el < 1e-6, "loss relative error " + el);
            assertTrue(eg < 1e-6, "gradient relative error " + eg);
            MseLoss.forward(ctx, loss.fill(Float.NaN), null, tp, tt); // loss only
            assertEquals(ref, loss.toArray()[0], 1e-6 * ref);
        }
    }

    @Test
    void mseRejectsBadShapes() {
        try (Context ctx = Context.create(Device.cpu());
                Tensor pred = Tensor.zeros(ctx, 2, 4, 4, 3);
                Tensor target = Tensor.zeros(ctx, 2, 4, 4, 1);
                Tensor loss = Tensor.empty(ctx, 1);
                Tensor loss2 = Tensor.empty(ctx, 2)) {
            D4jException loss2d = assertThrows(D4jException.class, () -> MseLoss.forward(ctx, loss2, null, pred, pred));
            assertEquals(Status.SHAPE, loss2d.status());
            assertTrue(loss2d.getMessage().contains("loss has shape [2]"), loss2d.getMessage());
            D4jException mismatch = assertThrows(D4jException.class, () -> MseLoss.forward(ctx, loss, null, pred, target));
            assertTrue(mismatch.getMessage().contains("pred has shape [2, 4, 4, 3] but target has shape [2, 4, 4, 1]"),
                    mismatch.getMessage());
            D4jException grad = assertThrows(D4jException.class, () -> MseLoss.forward(ctx, loss, target, pred, pred));
            assertTrue(grad.getMessage().contains("dpred has shape [2, 4, 4, 1]"), grad.getMessage());
        }
    }
}
