package org.diffusion4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.global.torch;
import org.diffusion4j.Context;
import org.diffusion4j.D4jException;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.testing.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Timestep embedding against a float64 loop, dropout's mask statistics and replay, MSE against libtorch. */
class EmbeddingDropoutLossTest {
    @ParameterizedTest(name = "batch {0}, dim {1}")
    @CsvSource({"1, 2", "7, 64", "300, 128"})
    void timestepEmbeddingMatchesItsFormula(int batch, int dim) {
        int[] t = new int[batch];
        for (int i = 0; i < batch; i++) {
            t[i] = (i * 37 + 3) % 1000;
        }
        try (Context ctx = Context.create(Device.cpu()); Tensor out = Tensor.empty(ctx, batch, dim).fill(Float.NaN)) {
            TimestepEmbedding.forward(ctx, out, t, TimestepEmbedding.DEFAULT_MAX_PERIOD);
            float[] e = out.toArray();
            int half = dim / 2;
            for (int n = 0; n < batch; n++) {
                for (int i = 0; i < half; i++) {
                    double arg = t[n] * Math.exp(-Math.log(10000.0) * i / half);
                    assertEquals((float) Math.cos(arg), e[n * dim + i], 1e-6f);
                    assertEquals((float) Math.sin(arg), e[n * dim + half + i], 1e-6f);
                }
            }
            D4jException neg = assertThrows(D4jException.class,
                    () -> TimestepEmbedding.forward(ctx, out, negativeAt(batch), 10000f));
            assertTrue(neg.getMessage().contains("is -1"), neg.getMessage());
        }
    }

    private static int[] negativeAt(int batch) {
        int[] t = new int[batch];
        t[batch - 1] = -1;
        return t;
    }

    @ParameterizedTest(name = "{0} elements, p = {1}")
    @CsvSource({"7, 0.5", "9604, 0.1", "65536, 0.3"})
    void dropoutKeepsOneMinusPAndReplaysItsMask(int n, float p) {
        float[] x = Torch.random(61, n, 1f);
        try (Context ctx = Context.create(Device.cpu(), 9);
                Tensor tx = Tensor.of(ctx, x, n);
                Tensor y = Tensor.empty(ctx, n).fill(Float.NaN);
                Tensor dx = Tensor.empty(ctx, n).fill(Float.NaN)) {
            Dropout.Mask mask = Dropout.forward(ctx, y, tx, p);
            float[] out = y.toArray();
            int kept = 0;
            for (int i = 0; i < n; i++) {
                if (out[i] != 0f) {
                    kept++;
                    assertEquals(x[i] / (1 - p), out[i], 1e-6f * Math.abs(out[i]) + 1e-7f);
                }
            }
            double sd = Math.sqrt(n * p * (1 - p));
            assertTrue(Math.abs(kept - n * (1 - p)) < 5 * sd, "kept " + kept + " of " + n);
            Dropout.backward(ctx, dx, tx, p, mask); // the same mask applied to x again gives y
            assertArrayEquals(out, dx.toArray());
            Dropout.Mask next = Dropout.forward(ctx, dx, tx, p);
            assertTrue(next.offset() > mask.offset(), "the random stream advances");
            assertTrue(!java.util.Arrays.equals(out, dx.toArray()), "a second forward draws a new mask");
            Dropout.forward(ctx, dx, tx, 0f);
            assertArrayEquals(x, dx.toArray(), "p = 0 is the identity");
            D4jException bad = assertThrows(D4jException.class, () -> Dropout.forward(ctx, y, tx, 1f));
            assertTrue(bad.getMessage().contains("p is 1"), bad.getMessage());
        }
    }

    @ParameterizedTest(name = "{0} elements")
    @CsvSource({"1", "777", "200704"})
    void mseMatchesLibtorch(int n) {
        float[] pred = Torch.random(62, n, 2f);
        float[] target = Torch.random(63, n, 1f);
        try (Context ctx = Context.create(Device.cpu());
                Tensor tp = Tensor.of(ctx, pred, n);
                Tensor tt = Tensor.of(ctx, target, n);
                Tensor loss = Tensor.empty(ctx, 1).fill(Float.NaN);
                Tensor grad = Tensor.empty(ctx, n).fill(Float.NaN)) {
            MseLoss.forward(ctx, loss, grad, tp, tt);
            org.bytedeco.pytorch.Tensor rp = Torch.tensor(pred, n).set_requires_grad(true);
            org.bytedeco.pytorch.Tensor rl = torch.mse_loss(rp, Torch.tensor(target, n));
            rl.backward();
            float ref = Torch.array(rl)[0];
            assertEquals(ref, loss.toArray()[0], 1e-6 * ref);
            double eg = Torch.relativeError(grad.toArray(), Torch.array(rp.grad()));
            assertTrue(eg < 1e-6, "gradient relative error " + eg);
            MseLoss.forward(ctx, loss, null, tp, tt); // loss only
            assertEquals(ref, loss.toArray()[0], 1e-6 * ref);
            if (n > 1) {
                D4jException shape = assertThrows(D4jException.class, () -> MseLoss.forward(ctx, grad, null, tp, tt));
                assertTrue(shape.getMessage().contains("loss has shape"), shape.getMessage());
            }
        }
    }
}
