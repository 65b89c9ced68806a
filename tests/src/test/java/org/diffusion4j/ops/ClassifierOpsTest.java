package org.diffusion4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.AbstractTensor;
import org.bytedeco.pytorch.global.torch;
import org.diffusion4j.Context;
import org.diffusion4j.D4jException;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.testing.TestData;
import org.diffusion4j.testing.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The feature network's ops against libtorch in float64 (autograd for the gradients): softmax
 * cross-entropy ({@code cross_entropy_loss}, K = 1 to 1000, logits up to ±80, the gradient in
 * place over the logits) and global average pooling ({@code adaptive_avg_pool2d} to 1×1,
 * forward and backward); bad labels and shapes named. Outputs poisoned with NaN.
 */
class ClassifierOpsTest {
    private static int[] labels(int n, int k) {
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = (i * 7919 + 3) % k;
        }
        return y;
    }

    @ParameterizedTest(name = "{0}x{1} logits within ±{2}")
    @CsvSource({"7, 10, 1", "128, 10, 4", "64, 10, 80", "3, 10, 80", "5, 1, 3", "300, 1000, 8", "2, 2, 0.001"})
    void crossEntropyMatchesLibtorch(int n, int k, float scale) {
        float[] x = TestData.random(n * 31L + k, n * k, scale);
        int[] y = labels(n, k);
        long[] yl = new long[n];
        for (int i = 0; i < n; i++) {
            yl[i] = y[i];
        }
        org.bytedeco.pytorch.Tensor rx = Torch.tensor(x, n, k).to(torch.ScalarType.Double).set_requires_grad(true);
        org.bytedeco.pytorch.Tensor rl = torch.cross_entropy_loss(rx, AbstractTensor.create(yl, n));
        rl.backward();
        double refLoss = rl.item_double();
        float[] refGrad = Torch.array(rx.grad().to(torch.ScalarType.Float));
        try (Context ctx = Context.create(Device.cpu());
                Tensor logits = Tensor.of(ctx, x, n, k);
                Tensor inPlace = Tensor.of(ctx, x, n, k);
                Tensor loss = Tensor.empty(ctx, 1).fill(Float.NaN);
                Tensor lossOnly = Tensor.empty(ctx, 1).fill(Float.NaN);
                Tensor lossInPlace = Tensor.empty(ctx, 1).fill(Float.NaN);
                Tensor grad = Tensor.empty(ctx, n, k).fill(Float.NaN)) {
            SoftmaxCrossEntropy.forward(ctx, loss, grad, logits, y);
            SoftmaxCrossEntropy.forward(ctx, lossOnly, null, logits, y);
            SoftmaxCrossEntropy.forward(ctx, lossInPlace, inPlace, inPlace, y);
            float l = loss.toArray()[0];
            double el = refLoss == 0 ? Math.abs(l) : Math.abs(l - refLoss) / refLoss;
            double eg = Torch.relativeError(grad.toArray(), refGrad);
            System.out.printf("cross-entropy %dx%d ±%g: loss %.6g (libtorch %.6g), rel err %.2e; gradient %.2e%n", n, k,
                    scale, l, refLoss, el, eg);
            assertTrue(el < 1e-6, "loss " + l + " vs libtorch " + refLoss + ": relative error " + el);
            assertTrue(eg < 1e-6, "gradient relative error " + eg);
            assertEquals(l, lossOnly.toArray()[0], 0f, "the loss without a gradient");
            assertEquals(l, lossInPlace.toArray()[0], 0f, "the loss with the gradient written over the logits");
            assertArrayEquals(grad.toArray(), inPlace.toArray(), "the gradient written over the logits");
        }
    }

    @Test
    void crossEntropyRefusesBadLabelsAndShapes() {
        try (Context ctx = Context.create(Device.cpu());
                Tensor logits = Tensor.of(ctx, TestData.random(1, 30, 1f), 3, 10);
                Tensor cube = Tensor.zeros(ctx, 3, 10, 1);
                Tensor loss = Tensor.empty(ctx, 1).fill(Float.NaN);
                Tensor loss2 = Tensor.empty(ctx, 2);
                Tensor wrong = Tensor.empty(ctx, 3, 9)) {
            IllegalArgumentException high = assertThrows(IllegalArgumentException.class,
                    () -> SoftmaxCrossEntropy.forward(ctx, loss, null, logits, new int[] {0, 10, 2}));
            assertTrue(high.getMessage().contains("labels[1] is 10; it must be in [0, 10)"), high.getMessage());
            IllegalArgumentException low = assertThrows(IllegalArgumentException.class,
                    () -> SoftmaxCrossEntropy.forward(ctx, loss, null, logits, new int[] {0, 1, -3}));
            assertTrue(low.getMessage().contains("labels[2] is -3"), low.getMessage());
            IllegalArgumentException few = assertThrows(IllegalArgumentException.class,
                    () -> SoftmaxCrossEntropy.forward(ctx, loss, null, logits, new int[] {0, 1}));
            assertTrue(few.getMessage().contains("labels has 2 entries but logits has 3 rows"), few.getMessage());
            IllegalArgumentException dims = assertThrows(IllegalArgumentException.class,
                    () -> SoftmaxCrossEntropy.forward(ctx, loss, null, cube, new int[] {0, 1, 2}));
            assertTrue(dims.getMessage().contains("logits has shape [3, 10, 1]; it must be (N, K)"), dims.getMessage());
            D4jException one = assertThrows(D4jException.class,
                    () -> SoftmaxCrossEntropy.forward(ctx, loss2, null, logits, new int[] {0, 1, 2}));
            assertTrue(one.getMessage().contains("loss has shape [2]; it must hold one element"), one.getMessage());
            D4jException grad = assertThrows(D4jException.class,
                    () -> SoftmaxCrossEntropy.forward(ctx, loss, wrong, logits, new int[] {0, 1, 2}));
            assertTrue(grad.getMessage().contains("dlogits has shape [3, 9] but logits has shape [3, 10]"), grad.getMessage());
            assertTrue(Float.isNaN(loss.toArray()[0]), "a refused call must not write the loss");
        }
    }

    @ParameterizedTest(name = "{0}x{1}x{2}x{3}")
    @CsvSource({"2, 7, 7, 128", "3, 1, 1, 5", "1, 5, 3, 2", "64, 7, 7, 128", "4, 14, 14, 32"})
    void globalAvgPoolMatchesLibtorch(int n, int h, int w, int c) {
        float[] x = TestData.random(n + h * 3L + c, n * h * w * c, 2f);
        float[] dy = TestData.random(7, n * c, 1f);
        org.bytedeco.pytorch.Tensor rx = Torch.nchw(x, n, h, w, c).to(torch.ScalarType.Double).set_requires_grad(true);
        org.bytedeco.pytorch.Tensor ry = torch.adaptive_avg_pool2d(rx, 1, 1).reshape(n, c);
        ry.mul(Torch.tensor(dy, n, c).to(torch.ScalarType.Double)).sum().backward();
        float[] refY = Torch.array(ry.to(torch.ScalarType.Float));
        float[] refDx = Torch.nhwc(rx.grad().to(torch.ScalarType.Float));
        try (Context ctx = Context.create(Device.cpu());
                Tensor tx = Tensor.of(ctx, x, n, h, w, c);
                Tensor ty = Tensor.empty(ctx, n, c).fill(Float.NaN);
                Tensor tdy = Tensor.of(ctx, dy, n, c);
                Tensor tdx = Tensor.empty(ctx, n, h, w, c).fill(Float.NaN)) {
            GlobalAvgPool.forward(ctx, ty, tx);
            GlobalAvgPool.backward(ctx, tdx, tdy);
            double ey = Torch.relativeError(ty.toArray(), refY);
            double edx = Torch.relativeError(tdx.toArray(), refDx);
            System.out.printf("global average pool %dx%dx%dx%d: forward %.2e, backward %.2e%n", n, h, w, c, ey, edx);
            assertTrue(ey < 1e-6, "forward relative error " + ey);
            assertTrue(edx < 1e-6, "backward relative error " + edx);
        }
    }

    @Test
    void globalAvgPoolRefusesBadShapes() {
        try (Context ctx = Context.create(Device.cpu());
                Tensor x = Tensor.zeros(ctx, 2, 3, 3, 4);
                Tensor flat = Tensor.zeros(ctx, 2, 9, 4);
                Tensor wrongC = Tensor.zeros(ctx, 2, 5);
                Tensor wrongN = Tensor.zeros(ctx, 3, 4)) {
            D4jException dims = assertThrows(D4jException.class, () -> GlobalAvgPool.forward(ctx, wrongN, flat));
            assertTrue(dims.getMessage().contains("x has shape [2, 9, 4]; it must be (N, H, W, C)"), dims.getMessage());
            D4jException c = assertThrows(D4jException.class, () -> GlobalAvgPool.forward(ctx, wrongC, x));
            assertTrue(c.getMessage().contains("y has shape [2, 5]; it must be (N, C) = [2, 4] for x [2, 3, 3, 4]"),
                    c.getMessage());
            D4jException back = assertThrows(D4jException.class, () -> GlobalAvgPool.backward(ctx, x, wrongN));
            assertTrue(back.getMessage().contains("dy has shape [3, 4]; it must be (N, C) = [2, 4] for dx"), back.getMessage());
        }
    }
}
