package org.diffusion4j.bench;

import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.javacpp.BoolPointer;
import org.bytedeco.pytorch.T_TensorTensorTensor_T;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.diffusion4j.Context;
import org.diffusion4j.ConvAlgorithm;
import org.diffusion4j.D4jException;
import org.diffusion4j.Device;
import org.diffusion4j.Precision;
import org.diffusion4j.Tensor;
import org.diffusion4j.ops.Conv2d;
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
 * 3×3 convolution, stride 1, pad 1, with bias, on the CPU: forward, and backward (data,
 * weights and bias together), ours beside libtorch's conv2d and convolution_backward on the
 * same shapes (libtorch in its default NCHW layout). Shapes N×H×W×C with Cin = Cout = C:
 * 64×32×32×64 and 64×16×16×128 (CIFAR scale), and the Fashion-MNIST U-Net's levels at the main
 * job's batch, 128×28×28×32, 128×14×14×64 and 128×7×7×64.
 *
 * <p>{@code mode}: ours in float32 with a {@link ConvAlgorithm} (DIRECT, WINOGRAD_2X2,
 * WINOGRAD_4X4) beside libtorch's float32 convolution, or BF16 — ours with the context's
 * {@link Precision#BF16} (operands rounded to bfloat16, float32 sums; bf16 runs the direct
 * convolution) beside libtorch's twin on bfloat16 tensors (its own bf16 convolution, output in
 * bf16). libtorch runs again in every mode's row, so each row is a side-by-side pair. Where our
 * BF16 is refused (a CPU without AVX-512 BF16) the D4j benchmarks of that mode fail with the
 * library's message and libtorch's still run.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Thread)
public class ConvBenchmark {
    @Param({"64x32x32x64", "64x16x16x128", "128x28x28x32", "128x14x14x64", "128x7x7x64"})
    public String shape;

    @Param({"DIRECT", "WINOGRAD_2X2", "WINOGRAD_4X4", "BF16"})
    public String mode;

    /** Why our side cannot run this mode here (the library's refusal), or null. */
    private String refused;

    private Context ctx;
    private Tensor x;
    private Tensor w;
    private Tensor b;
    private Tensor y;
    private Tensor dy;
    private Tensor dx;
    private Tensor dw;
    private Tensor db;

    private org.bytedeco.pytorch.Tensor tx;
    private org.bytedeco.pytorch.Tensor tw;
    private org.bytedeco.pytorch.Tensor tb;
    private org.bytedeco.pytorch.Tensor tdy;
    private BoolPointer allGradients;

    @Setup(Level.Trial)
    public void setUp() {
        int[] d = Shapes.parse(shape);
        int n = d[0];
        int h = d[1];
        int c = d[3];
        ctx = Context.create(Device.cpu(), 3);
        x = Tensor.empty(ctx, n, h, h, c).fillNormal(0f, 1f);
        w = Tensor.empty(ctx, 3, 3, c, c).fillNormal(0f, 0.05f);
        b = Tensor.empty(ctx, c).fillNormal(0f, 1f);
        y = Tensor.empty(ctx, n, h, h, c);
        dy = Tensor.empty(ctx, n, h, h, c).fillNormal(0f, 1f);
        dx = Tensor.empty(ctx, n, h, h, c);
        dw = Tensor.zeros(ctx, 3, 3, c, c);
        db = Tensor.zeros(ctx, c);
        tx = torch.randn(n, c, h, h);
        tw = torch.randn(c, c, 3, 3).mul_(new org.bytedeco.pytorch.Scalar(0.05));
        tb = torch.randn(c);
        tdy = torch.randn(n, c, h, h);
        if (mode.equals("BF16")) {
            try {
                ctx.setPrecision(Precision.BF16);
            } catch (D4jException e) {
                refused = e.getMessage();
            }
            torch.ScalarType bf16 = torch.ScalarType.BFloat16;
            tx = tx.toType(bf16);
            tw = tw.toType(bf16);
            tb = tb.toType(bf16);
            tdy = tdy.toType(bf16);
        } else {
            ctx.setConvAlgorithm(ConvAlgorithm.valueOf(mode));
        }
        allGradients = new BoolPointer(3);
        for (int i = 0; i < 3; i++) {
            allGradients.put(i, true);
        }
    }

    @Benchmark
    public Tensor forwardD4j() {
        runnable();
        Conv2d.forward(ctx, y, x, w, b, 1, 1);
        return y;
    }

    @Benchmark
    public org.bytedeco.pytorch.Tensor forwardLibtorch() {
        try (PointerScope scope = new PointerScope()) { // frees the temporaries now, not at the next GC
            return torch.conv2d(tx, tw, new TensorOptional(tb), new long[] {1, 1}, new long[] {1, 1}, new long[] {1, 1}, 1);
        }
    }

    @Benchmark
    public Tensor backwardD4j() {
        runnable();
        Conv2d.backwardData(ctx, dx, dy, w, 1, 1);
        Conv2d.backwardWeights(ctx, dw, db, dy, x, 1, 1);
        return dx;
    }

    @Benchmark
    public T_TensorTensorTensor_T backwardLibtorch() {
        try (PointerScope scope = new PointerScope()) { // frees the temporaries now, not at the next GC
            return torch.convolution_backward(tdy, tx, tw, new long[] {tw.size(0)}, new long[] {1, 1}, new long[] {1, 1},
                    new long[] {1, 1}, false, new long[] {0, 0}, 1, allGradients);
        }
    }

    private void runnable() {
        if (refused != null) {
            throw new IllegalStateException("mode " + mode + " does not run here: " + refused);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Tensor t : new Tensor[] {x, w, b, y, dy, dx, dw, db}) {
            t.close();
        }
        ctx.close();
    }

    /** Multiply-adds ×2 of one 3×3 convolution pass (forward, or each of the two backward GEMMs). */
    static double flops(String shape) {
        int[] d = Shapes.parse(shape);
        return 2.0 * d[0] * d[1] * d[2] * 9.0 * d[3] * d[3];
    }
}
