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
 * Attention forward, lse and dqkv against libtorch (matmul, softmax, matmul with autograd).
 * Tolerances: 1e-5 forward and lse, 5e-5 gradients (sums over L up to 256 keys, our exp within
 * 4 ulp of libtorch's).
 */
class AttentionTest {
    /** n, tokens, c, heads */
    @ParameterizedTest(name = "n{0} L{1} C{2} heads{3}")
    @CsvSource({"1, 49, 12, 3", "2, 196, 40, 4", "4, 64, 128, 4", "2, 256, 128, 4", "3, 5, 8, 1"})
    void matchesLibtorch(int n, int l, int c, int heads) {
        int d = c / heads;
        float[] qkv = Torch.random(71, n * l * 3 * c, 1.5f);
        float[] dout = Torch.random(72, n * l * c, 1f);
        float[] out;
        float[] lse;
        float[] dqkv;
        try (Context ctx = Context.create(Device.cpu());
                Tensor tqkv = Tensor.of(ctx, qkv, n, l, 3 * c);
                Tensor tout = Tensor.empty(ctx, n, l, c).fill(Float.NaN);
                Tensor tlse = Tensor.empty(ctx, n, heads, l).fill(Float.NaN);
                Tensor tdout = Tensor.of(ctx, dout, n, l, c);
                Tensor tdqkv = Tensor.empty(ctx, n, l, 3 * c).fill(Float.NaN)) {
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
        System.out.printf("attention n%d L%d C%d h%d: out %.2e lse %.2e dqkv %.2e%n", n, l, c, heads, eo, el, eg);
        assertTrue(eo < 1e-5, "out relative error " + eo);
        assertTrue(el < 1e-5, "lse relative error " + el);
        assertTrue(eg < 5e-5, "dqkv relative error " + eg);
    }

    @Test
    void finiteDifferencesAgree() {
        int n = 1, l = 7, c = 6, heads = 2;
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
            double e = GradCheck.maxRelativeError(xs -> {
                tqkv.copyFrom(xs);
                Attention.forward(ctx, out, lse, tqkv, heads);
                return out.toArray();
            }, qkv, r, dqkv.toArray(), 1e-2f, 126);
            assertTrue(e < 2e-2, "dqkv vs finite differences " + e);
        }
    }

    @Test
    void badArgumentsNameTheValue() {
        try (Context ctx = Context.create(Device.cpu());
                Tensor qkv = Tensor.zeros(ctx, 2, 16, 24);
                Tensor out = Tensor.empty(ctx, 2, 16, 8);
                Tensor lse = Tensor.empty(ctx, 2, 2, 16);
                Tensor badQkv = Tensor.zeros(ctx, 2, 16, 25)) {
            D4jException h = assertThrows(D4jException.class, () -> Attention.forward(ctx, out, lse, qkv, 3));
            assertEquals(Status.INVALID_ARGUMENT, h.status());
            assertTrue(h.getMessage().contains("heads is 3"), h.getMessage());
            D4jException q = assertThrows(D4jException.class, () -> Attention.forward(ctx, out, lse, badQkv, 2));
            assertTrue(q.getMessage().contains("qkv has shape [2, 16, 25]"), q.getMessage());
            D4jException l = assertThrows(D4jException.class, () -> Attention.forward(ctx, out, lse, qkv, 4));
            assertTrue(l.getMessage().contains("lse has shape [2, 2, 16] but must be [2, 4, 16]"), l.getMessage());
        }
    }
}
