package org.diffusion4j.bench;

import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.TensorArrayRefOptional;
import org.bytedeco.pytorch.global.torch;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.ops.Attention;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Multi-head self-attention on the CPU, 128 channels, 4 heads, batch 64, over 8×8 and 16×16
 * tokens: our fused op (qkv packed as (N, L, 3C)) beside libtorch's scaled_dot_product_attention
 * on (N, heads, L, D) tensors. "train" runs forward then backward (libtorch through autograd,
 * since its CPU attention backward is not callable on its own from Java).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Thread)
public class AttentionBenchmark {
    @Param({"64", "256"})
    public int tokens;

    static final int N = 64;
    static final int C = 128;
    static final int HEADS = 4;

    private Context ctx;
    private Tensor qkv;
    private Tensor out;
    private Tensor lse;
    private Tensor dout;
    private Tensor dqkv;
    private org.bytedeco.pytorch.Tensor q;
    private org.bytedeco.pytorch.Tensor k;
    private org.bytedeco.pytorch.Tensor v;
    private org.bytedeco.pytorch.Tensor tdout;

    @Setup(Level.Trial)
    public void setUp() {
        ctx = Context.create(Device.cpu(), 6);
        qkv = Tensor.empty(ctx, N, tokens, 3 * C).fillNormal(0f, 1f);
        out = Tensor.empty(ctx, N, tokens, C);
        lse = Tensor.empty(ctx, N, HEADS, tokens);
        dout = Tensor.empty(ctx, N, tokens, C).fillNormal(0f, 1f);
        dqkv = Tensor.empty(ctx, N, tokens, 3 * C);
        long d = C / HEADS;
        q = torch.randn(N, HEADS, tokens, d).set_requires_grad(true);
        k = torch.randn(N, HEADS, tokens, d).set_requires_grad(true);
        v = torch.randn(N, HEADS, tokens, d).set_requires_grad(true);
        tdout = torch.randn(N, HEADS, tokens, d);
    }

    @Benchmark
    public Tensor forwardD4j() {
        Attention.forward(ctx, out, lse, qkv, HEADS);
        return out;
    }

    @Benchmark
    public org.bytedeco.pytorch.Tensor forwardLibtorch() {
        try (PointerScope scope = new PointerScope()) { // frees the temporaries now, not at the next GC
            try (org.bytedeco.pytorch.NoGradGuard noGrad = new org.bytedeco.pytorch.NoGradGuard()) {
                return torch.scaled_dot_product_attention(q, k, v);
            }
        }
    }

    @Benchmark
    public Tensor trainD4j() {
        Attention.forward(ctx, out, lse, qkv, HEADS);
        Attention.backward(ctx, dqkv, dout, qkv, out, lse, HEADS);
        return dqkv;
    }

    @Benchmark
    public org.bytedeco.pytorch.Tensor trainLibtorch() {
        try (PointerScope scope = new PointerScope()) { // frees the temporaries now, not at the next GC
            org.bytedeco.pytorch.Tensor o = torch.scaled_dot_product_attention(q, k, v);
            o.backward(tdout, new BoolOptional(), false, new TensorArrayRefOptional());
            return q.grad();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Tensor t : new Tensor[] {qkv, out, lse, dout, dqkv}) {
            t.close();
        }
        ctx.close();
    }
}
