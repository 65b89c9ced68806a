package org.diffusion4j.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * Attention forward, lse and dqkv against libtorch (matmul, softmax, matmul with autograd) on
 * 3-D and 4-D qkv, shapes that split heads into query chunks and shapes that do not, head sizes
 * 2 to 128; central differences; bad arguments. Tolerances: 1e-5 forward and lse, 5e-5
 * gradients (sums over L up to 256 keys, our exp within 4 ulp of libtorch's).
 */
class AttentionTest {
    /** n, h, w, c, heads: qkv (N, H, W, 3C) when h > 1, else (N, W, 3C) */
    @ParameterizedTest(name = "n{0} {1}x{2} C{3} heads{4}")
    @CsvSource({"1, 7, 7, 12, 3", "2, 14, 14, 40, 4", "4, 8, 8, 128, 4", "2, 16, 16, 128, 4", "3, 1, 5, 8, 1",
            "4, 1, 64, 128, 4", "1, 10, 13, 256, 2"})
    void matchesLibtorch(int n, int hh, int ww, int c, int heads) {
        int d = c / heads;
        int l = hh * ww;
        int[] qkvShape = hh > 1 ? new int[] {n, hh, ww, 3 * c} : new int[] {n, ww, 3 * c};
        int[] outShape = hh > 1 ? new int[] {n, hh, ww, c} : new int[] {n, ww, c};
        float[] qkv = Torch.random(71, n * l * 3 * c, 1.5f);
        float[] dout = Torch.random(72, n * l * c, 1f);
        float[] out;
        float[] lse;
        float[] dqkv;
        try (Context ctx = Context.create(Device.cpu());
                Tensor tqkv = Tensor.of(ctx, qkv, qkvShape);
                Tensor tout = Tensor.empty(ctx, outShape).fill(Float.NaN);
                Tensor tlse = Tensor.empty(ctx, n, heads, l).fill(Float.NaN);
                Tensor tdout = Tensor.of(ctx, dout, outShape);
                Tensor tdqkv = Tensor.empty(ctx, qkvShape).fill(Float.NaN)) {
            Attention.forward(ctx, tout, tlse, tqkv, heads);
            Attention.backward(ctx, tdqkv, tdout, tqkv, tout, tlse, heads);
            out = tout.toArray();
            lse = tlse.toArray();
            dqkv = tdqkv.toArray();
        }
        org.bytedeco.pytorch.Tensor r = Torch.tensor(qkv, n, l, 3 * c).set_requires_grad(true);
        org.bytedeco.pytorch.Tensor split = r.view(n, l, 3, heads, d).permute(2, 0, 3, 1, 4); // (3, N, heads, L, D)
        org.bytedeco.pytorch.Tensor q = split.select(0, 0);
        org.bytedeco.pytorch.Tensor k = split.select(0, 1);
        org.bytedeco.pytorch.Tensor v = split.select(0, 2);
        org.bytedeco.pytorch.Tensor s = torch.matmul(q, k.transpose(-2, -1)).mul(new org.bytedeco.pytorch.Scalar(1.0 / Math.sqrt(d)));
        org.bytedeco.pytorch.Tensor refLse = torch.logsumexp(s, new long[] {-1}, false);
        org.bytedeco.pytorch.Tensor o = torch.matmul(torch.softmax(s, -1), v); // (N, heads, L, D)
        org.bytedeco.pytorch.Tensor refOut = o.permute(0, 2, 1, 3).reshape(n, l, c);
        refOut.mul(Torch.tensor(dout, n, l, c)).sum().backward();
        double eo = Torch.relativeError(out, Torch.array(refOut));
        double el = Torch.relativeError(lse, Torch.array(refLse));
        double eg = Torch.relativeError(dqkv, Torch.array(r.grad()));
        System.out.printf("attention n%d %dx%d C%d heads%d: out %.2e lse %.2e dqkv %.2e%n", n, hh, ww, c, heads, eo, el,
                eg);
        assertTrue(eo < 1e-5, "out relative error " + eo);
        assertTrue(el < 1e-5, "lse relative error " + el);
        assertTrue(eg < 5e-5, "dqkv relative error " + eg);
    }

    /** Central differences of Σ r·out; 50 tokens and one head split the queries into two chunks. */
    @ParameterizedTest(name = "L{1} C{2} heads{3}")
    @CsvSource({"1, 7, 6, 2", "1, 50, 4, 1"})
    void finiteDifferencesAgree(int n, int l, int c, int heads) {
        float[] qkv = Torch.random(73, n * l * 3 * c, 1f);
        float[] r = Torch.random(74, n * l * c, 1f);
        try (Context ctx = Context.create(Device.cpu());
                Tensor tqkv = Tensor.of(ctx, qkv, n, l, 3 * c);
                Tensor out = Tensor.empty(ctx, n, l, c);
                Tensor lse = Tensor.empty(ctx, n, heads, l);
                Tensor dout = Tensor.of(ctx, r, n, l, c);
                Tensor dqkv = Tensor.empty(ctx, n, l, 3 * c)) {
            Attention.forward(ctx, out, lse, tqkv, heads);
            Attention.backward(ctx, dqkv, dout, tqkv, out, lse, heads);
            double e = GradCheck.maxRelativeError(tqkv, () -> Attention.forward(ctx, out, lse, tqkv, heads), out, qkv, r,
                    dqkv.toArray(), 1e-2f, 126);
            System.out.printf("attention L%d C%d heads%d: dqkv vs central differences %.2e%n", l, c, heads, e);
            assertTrue(e < 2e-2, "dqkv vs finite differences " + e);
        }
    }

    @Test
    void badArgumentsNameTheValue() {
        try (Context ctx = Context.create(Device.cpu());
                Tensor qkv = Tensor.zeros(ctx, 2, 16, 24);
                Tensor out = Tensor.empty(ctx, 2, 16, 8);
                Tensor lse = Tensor.empty(ctx, 2, 2, 16);
                Tensor dqkv = Tensor.empty(ctx, 2, 16, 24);
                Tensor badQkv = Tensor.zeros(ctx, 2, 16, 25);
                Tensor flat = Tensor.zeros(ctx, 32, 24);
                Tensor wideOut = Tensor.empty(ctx, 2, 16, 9)) {
            fails(Status.INVALID_ARGUMENT, "heads is 3", () -> Attention.forward(ctx, out, lse, qkv, 3));
            fails(Status.INVALID_ARGUMENT, "heads is 0", () -> Attention.forward(ctx, out, lse, qkv, 0));
            fails(Status.SHAPE, "qkv has shape [2, 16, 25]", () -> Attention.forward(ctx, out, lse, badQkv, 2));
            fails(Status.SHAPE, "qkv has shape [32, 24]", () -> Attention.forward(ctx, out, lse, flat, 2));
            fails(Status.SHAPE, "out has shape [2, 16, 9]", () -> Attention.forward(ctx, wideOut, lse, qkv, 2));
            fails(Status.SHAPE, "lse has shape [2, 2, 16] but must be [2, 4, 16]", () -> Attention.forward(ctx, out, lse, qkv, 4));
            Attention.forward(ctx, out, lse, qkv, 2);
            fails(Status.SHAPE, "dqkv has shape [2, 16, 25]", () -> Attention.backward(ctx, badQkv, out, qkv, out, lse, 2));
            fails(Status.SHAPE, "dout has shape [2, 16, 9]", () -> Attention.backward(ctx, dqkv, wideOut, qkv, out, lse, 2));
            fails(Status.INVALID_ARGUMENT, "heads is 5", () -> Attention.backward(ctx, dqkv, out, qkv, out, lse, 5));
            fails(Status.INVALID_ARGUMENT, "dqkv must not alias qkv", () -> Attention.backward(ctx, qkv, out, qkv, out, lse, 2));
            assertThrows(NullPointerException.class, () -> Attention.forward(ctx, out, null, qkv, 2));
            Tensor closed = Tensor.zeros(ctx, 2, 16, 24);
            closed.close();
            assertThrows(IllegalStateException.class, () -> Attention.forward(ctx, out, lse, closed, 2));
        }
    }

    private static void fails(Status status, String needle, org.junit.jupiter.api.function.Executable call) {
        D4jException e = assertThrows(D4jException.class, call);
        assertEquals(status, e.status(), e.getMessage());
        assertTrue(e.getMessage().contains(needle), "message '" + e.getMessage() + "' lacks '" + needle + "'");
    }
}
