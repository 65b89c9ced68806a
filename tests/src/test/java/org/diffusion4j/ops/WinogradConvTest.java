package org.diffusion4j.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.diffusion4j.Context;
import org.diffusion4j.ConvAlgorithm;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.testing.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Winograd F(2×2, 3×3) and F(4×4, 3×3) convolutions (forward, backward data, backward weights)
 * against libtorch's conv2d and autograd at the Fashion-MNIST U-Net's shapes (32 and 64 channels
 * on 28×28, 14×14 and 7×7 maps), odd channel counts, maps that do not tile evenly and pads 0..2.
 * The float64 comparison of the same kernels is tests/native/test_conv2d.c.
 * Tolerance: relative error 1e-5, as for the direct convolution (Conv2dTest). Winograd adds the
 * roundings of its transforms: F(4×4, 3×3)'s matrices hold 4, 5 and 8 (and G's 1/24), which
 * amplify them — errors seen are ~1.5e-6 against libtorch where F(2×2, 3×3) and direct give
 * ~3e-7 — still well inside float32 training noise.
 */
class WinogradConvTest {
    static final double TOL = 1e-5;

    /** algorithm, n, h, w, cin, cout, pad */
    @ParameterizedTest(name = "{0} {1}x{2}x{3}x{4} -> {5}, p{6}")
    @CsvSource({
        "WINOGRAD_4X4, 2, 28, 28, 32, 32, 1",
        "WINOGRAD_4X4, 2, 14, 14, 64, 64, 1",
        "WINOGRAD_4X4, 3, 7, 7, 64, 64, 1",
        "WINOGRAD_4X4, 2, 14, 14, 33, 17, 1",
        "WINOGRAD_4X4, 1, 9, 11, 13, 19, 0",
        "WINOGRAD_4X4, 2, 6, 5, 3, 17, 2",
        "WINOGRAD_2X2, 2, 28, 28, 32, 32, 1",
        "WINOGRAD_2X2, 2, 14, 14, 64, 64, 1",
        "WINOGRAD_2X2, 3, 7, 7, 64, 64, 1",
        "WINOGRAD_2X2, 2, 7, 7, 5, 19, 1",
        "WINOGRAD_2X2, 1, 9, 11, 13, 19, 0",
        "WINOGRAD_2X2, 2, 6, 5, 3, 17, 2",
        "WINOGRAD, 2, 14, 14, 64, 32, 1",
        "AUTO, 2, 28, 28, 32, 64, 1",
    })
    void matchesLibtorch(ConvAlgorithm algorithm, int n, int h, int w, int cin, int cout, int pad) {
        Conv2dTest.assertWithin(Conv2dTest.compareWithLibtorch(algorithm, n, h, w, cin, cout, 3, 1, pad), TOL);
    }

    /** Winograd applies to 3×3 stride 1 only: a forced setting runs other shapes direct, bit for bit. */
    @Test
    void otherShapesRunDirectUnderAForcedWinograd() {
        int[][] shapes = {{1, 10, 10, 16, 16, 3, 2, 1}, {1, 8, 8, 16, 24, 1, 1, 0}};
        for (int[] s : shapes) {
            float[] direct = forward(ConvAlgorithm.DIRECT, s);
            for (ConvAlgorithm a : new ConvAlgorithm[] {ConvAlgorithm.WINOGRAD_2X2, ConvAlgorithm.WINOGRAD_4X4}) {
                assertArrayEquals(direct, forward(a, s), a + " changed a k" + s[5] + " stride-" + s[6] + " conv");
            }
        }
    }

    /** Repeated weight gradients are bit-identical: each thread's share of the tiles is fixed. */
    @Test
    void weightGradientIsReproducible() {
        int n = 4, h = 28, c = 32;
        try (Context ctx = Context.create(Device.cpu());
                Tensor x = Tensor.of(ctx, Torch.random(13, n * h * h * c, 1f), n, h, h, c);
                Tensor dy = Tensor.of(ctx, Torch.random(14, n * h * h * c, 1f), n, h, h, c);
                Tensor dw = Tensor.empty(ctx, 3, 3, c, c);
                Tensor db = Tensor.empty(ctx, c)) {
            for (ConvAlgorithm a : new ConvAlgorithm[] {ConvAlgorithm.WINOGRAD_2X2, ConvAlgorithm.WINOGRAD_4X4}) {
                ctx.setConvAlgorithm(a);
                float[] first = null;
                for (int rep = 0; rep < 5; rep++) {
                    dw.fill(0f);
                    db.fill(0f);
                    Conv2d.backwardWeights(ctx, dw, db, dy, x, 1, 1);
                    float[] g = dw.toArray();
                    if (first == null) {
                        first = g;
                    } else {
                        assertArrayEquals(first, g, a + " weight gradient changed on repetition " + rep);
                    }
                }
            }
        }
    }

    private static float[] forward(ConvAlgorithm algorithm, int[] s) {
        int n = s[0], h = s[1], w = s[2], cin = s[3], cout = s[4], k = s[5], stride = s[6], pad = s[7];
        int ho = Conv2d.outputSize(h, k, stride, pad);
        int wo = Conv2d.outputSize(w, k, stride, pad);
        try (Context ctx = Context.create(Device.cpu());
                Tensor x = Tensor.of(ctx, Torch.random(11, n * h * w * cin, 1f), n, h, w, cin);
                Tensor wt = Tensor.of(ctx, Torch.random(12, k * k * cin * cout, 0.3f), k, k, cin, cout);
                Tensor y = Tensor.empty(ctx, n, ho, wo, cout)) {
            ctx.setConvAlgorithm(algorithm);
            Conv2d.forward(ctx, y, x, wt, null, stride, pad);
            return y.toArray();
        }
    }
}
