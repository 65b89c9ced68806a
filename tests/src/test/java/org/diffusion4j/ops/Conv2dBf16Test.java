package org.diffusion4j.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Precision;
import org.diffusion4j.Tensor;
import org.diffusion4j.testing.Torch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The bf16 mixed-precision convolution and linear layer (context precision BF16) against
 * libtorch's float32 conv2d and autograd run on the same bf16-rounded x, w and dy (rounded here,
 * to nearest even): our kernels' products of two bf16 values are exact in float32, so only the
 * float32 accumulation order differs and the tolerance is that of {@link Conv2dTest}, 1e-5. Against
 * libtorch on the unrounded inputs the error must come from the rounding: above 1e-4 (an fp32 run
 * gives ~1e-6) and below 2u + u² ≈ 7.8e-3 for bf16's unit roundoff u = 2⁻⁸ (the reasoning is in
 * tests/native/conv2d_bf16_cases.h). The bias gradient is a float32 sum of the unrounded dy.
 * Skipped (an assumption, so reported as skipped) where the CPU runs another kernel build than
 * avx512+bf16: there BF16 is refused ({@link org.diffusion4j.ContextSettingsTest}).
 */
class Conv2dBf16Test {
    static final double TOL = 1e-5;
    static final double U = 1.0 / 256;
    static final double TOL_EXACT = 2 * U + U * U;
    static final double MIN_EXACT = 1e-4;

    /** bf16(v) as a float: round to nearest, ties to even (finite test data). */
    static float bf16(float v) {
        int u = Float.floatToRawIntBits(v);
        u = (u + 0x7FFF + ((u >>> 16) & 1)) & 0xFFFF0000;
        return Float.intBitsToFloat(u);
    }

    static float[] bf16(float[] a) {
        float[] r = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = bf16(a[i]);
        }
        return r;
    }

    /** y, dx, dw (+ dw0), db (+ db0) from libtorch's conv2d and autograd on the given inputs. */
    static float[][] libtorch(float[] x, float[] wt, float[] b, float[] dy, float[] dw0, float[] db0, int n, int h, int w,
            int cin, int cout, int k, int stride, int pad, int ho, int wo) {
        org.bytedeco.pytorch.Tensor rx = Torch.nchw(x, n, h, w, cin).set_requires_grad(true);
        org.bytedeco.pytorch.Tensor rw = Torch.tensor(wt, k, k, cin, cout).permute(3, 2, 0, 1).contiguous()
                .set_requires_grad(true);
        org.bytedeco.pytorch.Tensor rb = Torch.tensor(b, cout).set_requires_grad(true);
        org.bytedeco.pytorch.Tensor ry = torch.conv2d(rx, rw, new TensorOptional(rb), new long[] {stride, stride},
                new long[] {pad, pad}, new long[] {1, 1}, 1);
        ry.mul(Torch.nchw(dy, n, ho, wo, cout)).sum().backward(); // L = Σ y·dy, so ∂L/∂y = dy
        float[] refDw = Torch.array(rw.grad().permute(2, 3, 1, 0)); // back to (K, K, Cin, Cout)
        float[] refDb = Torch.array(rb.grad());
        for (int i = 0; i < refDw.length; i++) {
            refDw[i] += dw0[i];
        }
        for (int i = 0; i < cout; i++) {
            refDb[i] += db0[i];
        }
        return new float[][] {Torch.nhwc(ry), Torch.nhwc(rx.grad()), refDw, refDb};
    }

    /** n, h, w, cin, cout, k, stride, pad, linear (1: a linear layer of n rows, h = w = k = 1) */
    @ParameterizedTest(name = "{0}x{1}x{2}x{3} -> {4}, k{5} s{6} p{7} linear {8}")
    @CsvSource({
        "4, 28, 28, 3, 32, 3, 1, 1, 0",
        "4, 28, 28, 32, 32, 3, 1, 1, 0",
        "4, 14, 14, 64, 64, 3, 1, 1, 0",
        "4, 7, 7, 128, 128, 3, 1, 1, 0",
        "3, 28, 28, 32, 64, 3, 2, 1, 0",
        "2, 14, 14, 33, 17, 3, 2, 1, 0",
        "2, 7, 7, 17, 33, 3, 1, 1, 0",
        "4, 14, 14, 128, 64, 1, 1, 0, 0",
        "64, 1, 1, 128, 512, 1, 1, 0, 1",
        "5, 1, 1, 33, 17, 1, 1, 0, 1",
    })
    void matchesLibtorchOnRoundedInputs(int n, int h, int w, int cin, int cout, int k, int stride, int pad, int linear) {
        Assumptions.assumeTrue(Device.cpuIsa().equals("avx512+bf16"),
                "this CPU runs the " + Device.cpuIsa() + " kernel build, which has no bf16 kernels (BF16 is refused)");
        int ho = Conv2d.outputSize(h, k, stride, pad);
        int wo = Conv2d.outputSize(w, k, stride, pad);
        float[] x = Torch.random(1, n * h * w * cin, 1f);
        float[] wt = Torch.random(2, k * k * cin * cout, 0.3f);
        float[] b = Torch.random(3, cout, 0.5f);
        float[] dy = Torch.random(4, n * ho * wo * cout, 1f);
        float[] dw0 = Torch.random(5, wt.length, 0.1f); // dw accumulates: start from non-zero
        float[] db0 = Torch.random(6, cout, 0.1f);
        boolean lin = linear == 1;
        int[] xs = lin ? new int[] {n, cin} : new int[] {n, h, w, cin};
        int[] ws = lin ? new int[] {cin, cout} : new int[] {k, k, cin, cout};
        int[] ys = lin ? new int[] {n, cout} : new int[] {n, ho, wo, cout};

        float[][] ours = new float[4][];
        try (Context ctx = Context.create(Device.cpu());
                Tensor tx = Tensor.of(ctx, x, xs);
                Tensor tw = Tensor.of(ctx, wt, ws);
                Tensor tb = Tensor.of(ctx, b, cout);
                Tensor ty = Tensor.empty(ctx, ys).fill(Float.NaN);
                Tensor tdy = Tensor.of(ctx, dy, ys);
                Tensor tdx = Tensor.empty(ctx, xs).fill(Float.NaN);
                Tensor tdw = Tensor.of(ctx, dw0, ws);
                Tensor tdb = Tensor.of(ctx, db0, cout)) {
            ctx.setPrecision(Precision.BF16);
            assertEquals(Precision.BF16, ctx.precision());
            if (lin) {
                Linear.forward(ctx, ty, tx, tw, tb);
                Linear.backwardData(ctx, tdx, tdy, tw);
                Linear.backwardWeights(ctx, tdw, tdb, tdy, tx);
            } else {
                Conv2d.forward(ctx, ty, tx, tw, tb, stride, pad);
                Conv2d.backwardData(ctx, tdx, tdy, tw, stride, pad);
                Conv2d.backwardWeights(ctx, tdw, tdb, tdy, tx, stride, pad);
            }
            ours[0] = ty.toArray();
            ours[1] = tdx.toArray();
            ours[2] = tdw.toArray();
            ours[3] = tdb.toArray();
        }
        float[][] rounded = libtorch(bf16(x), bf16(wt), b, bf16(dy), dw0, db0, n, h, w, cin, cout, k, stride, pad, ho, wo);
        float[][] exact = libtorch(x, wt, b, dy, dw0, db0, n, h, w, cin, cout, k, stride, pad, ho, wo);
        String[] names = {"y", "dx", "dw"};
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            double er = Torch.relativeError(ours[i], rounded[i]);
            double ee = Torch.relativeError(ours[i], exact[i]);
            line.append(String.format(" %s %.2e/%.2e", names[i], er, ee));
            assertTrue(er < TOL, names[i] + " vs libtorch on bf16-rounded inputs: relative error " + er);
            assertTrue(ee < TOL_EXACT, names[i] + " vs libtorch on the exact inputs: relative error " + ee);
            assertTrue(ee > MIN_EXACT, names[i] + " vs libtorch on the exact inputs: relative error " + ee
                    + " is fp32-sized: the bf16 path did not run");
        }
        double eb = Torch.relativeError(ours[3], exact[3]);
        System.out.printf("bf16 conv %dx%dx%dx%d->%d k%d s%d p%d%s (rounded/exact):%s db %.2e%n", n, h, w, cin, cout, k,
                stride, pad, lin ? " linear" : "", line, eb);
        assertTrue(eb < TOL, "dbias vs libtorch (float32 sum of the unrounded dy): relative error " + eb);
    }
}
