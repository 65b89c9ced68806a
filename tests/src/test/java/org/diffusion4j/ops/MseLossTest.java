package org.diffusion4j.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The per-sample weighted MSE against float64 (loss and gradient, a sample of weight 0 among
 * them), and against the unweighted op with weights of 1 (bit for bit); bad weights named. The
 * unweighted op against libtorch is in {@link EmbeddingDropoutLossTest}. Outputs poisoned with NaN.
 */
class MseLossTest {
    @ParameterizedTest
    @ValueSource(strings = {"5x3x3x2", "2x10001", "64x28x28x1", "200x3"})
    void weightedMseMatchesFloat64(String dims) {
        int[] shape = TestData.shape(dims);
        int n = TestData.numel(shape);
        int per = n / shape[0];
        float[] pred = TestData.random(5, n, 2f);
        float[] target = TestData.random(6, n, 1f);
        float[] w = new float[shape[0]];
        float[] ones = new float[shape[0]];
        for (int s = 0; s < w.length; s++) {
            w[s] = 0.25f + s % 5;
            ones[s] = 1f;
        }
        w[0] = 0f;
        try (Context ctx = Context.create(Device.cpu());
                Tensor tp = Tensor.of(ctx, pred, shape);
                Tensor tt = Tensor.of(ctx, target, shape);
                Tensor loss = Tensor.empty(ctx, 1).fill(Float.NaN);
                Tensor grad = Tensor.empty(ctx, shape).fill(Float.NaN);
                Tensor loss1 = Tensor.empty(ctx, 1).fill(Float.NaN);
                Tensor grad1 = Tensor.empty(ctx, shape).fill(Float.NaN);
                Tensor loss0 = Tensor.empty(ctx, 1).fill(Float.NaN);
                Tensor grad0 = Tensor.empty(ctx, shape).fill(Float.NaN)) {
            MseLoss.forward(ctx, loss, grad, tp, tt, w);
            MseLoss.forward(ctx, loss1, grad1, tp, tt, ones);
            MseLoss.forward(ctx, loss0, grad0, tp, tt);
            double sum = 0;
            float[] gref = new float[n];
            for (int i = 0; i < n; i++) {
                double d = (double) pred[i] - target[i];
                sum += w[i / per] * d * d;
                gref[i] = (float) (2.0 * w[i / per] * d / n);
            }
            double ref = sum / n;
            double el = Math.abs(loss.toArray()[0] - ref) / ref;
            double eg = TestData.relativeError(grad.toArray(), gref);
            System.out.printf("weighted mse %s: loss %.2e, gradient %.2e%n", dims, el, eg);
            assertTrue(el < 1e-6, "loss relative error " + el);
            assertTrue(eg < 1e-6, "gradient relative error " + eg);
            assertEquals(loss0.toArray()[0], loss1.toArray()[0], 0f, "weights of 1 must give the unweighted loss");
            assertTrue(Arrays.equals(grad0.toArray(), grad1.toArray()), "weights of 1 must give the unweighted gradient");
        }
    }

    @Test
    void badWeightsAreNamed() {
        try (Context ctx = Context.create(Device.cpu());
                Tensor x = Tensor.zeros(ctx, 3, 5);
                Tensor loss = Tensor.empty(ctx, 1)) {
            IllegalArgumentException few = assertThrows(IllegalArgumentException.class,
                    () -> MseLoss.forward(ctx, loss, null, x, x, new float[] {1, 1}));
            assertTrue(few.getMessage().contains("weights has 2 entries but there are 3 samples"), few.getMessage());
            IllegalArgumentException neg = assertThrows(IllegalArgumentException.class,
                    () -> MseLoss.forward(ctx, loss, null, x, x, new float[] {1, -2, 1}));
            assertTrue(neg.getMessage().contains("weights[1] is -2.0; it must be >= 0"), neg.getMessage());
            IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                    () -> MseLoss.forward(ctx, loss, null, x, x, new float[] {1, 1, Float.NaN}));
            assertTrue(nan.getMessage().contains("weights[2] is NaN"), nan.getMessage());
        }
    }
}
