package org.diffusion4j.bench;

import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.javacpp.BoolPointer;
import org.bytedeco.pytorch.T_TensorTensorTensor_T;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.ops.GroupNorm;
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
 * GroupNorm followed by SiLU on the CPU, forward (with the statistics a training step keeps)
 * and backward: our fused op beside libtorch's native_group_norm + silu and silu_backward +
 * native_group_norm_backward, the kernels its autograd runs. 32 groups.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Thread)
public class GroupNormBenchmark {
    @Param({"64x32x32x64"})
    public String shape;

    static final int GROUPS = 32;

    private Context ctx;
    private Tensor x;
    private Tensor y;
    private Tensor dy;
    private Tensor dx;
    private Tensor gamma;
    private Tensor beta;
    private Tensor dgamma;
    private Tensor dbeta;
    private Tensor mean;
    private Tensor rstd;

    private org.bytedeco.pytorch.Tensor tx;
    private org.bytedeco.pytorch.Tensor tg;
    private org.bytedeco.pytorch.Tensor tb;
    private org.bytedeco.pytorch.Tensor tdy;
    private org.bytedeco.pytorch.Tensor tz;
    private org.bytedeco.pytorch.Tensor tmean;
    private org.bytedeco.pytorch.Tensor trstd;
    private BoolPointer mask;
    private long n;
    private long c;
    private long hw;

    @Setup(Level.Trial)
    public void setUp() {
        int[] d = Shapes.parse(shape);
        n = d[0];
        hw = (long) d[1] * d[2];
        c = d[3];
        ctx = Context.create(Device.cpu(), 4);
        x = Tensor.empty(ctx, d).fillNormal(1f, 2f);
        y = Tensor.empty(ctx, d);
        dy = Tensor.empty(ctx, d).fillNormal(0f, 1f);
        dx = Tensor.empty(ctx, d);
        gamma = Tensor.empty(ctx, d[3]).fillNormal(1f, 0.1f);
        beta = Tensor.empty(ctx, d[3]).fillNormal(0f, 0.1f);
        dgamma = Tensor.zeros(ctx, d[3]);
        dbeta = Tensor.zeros(ctx, d[3]);
        mean = Tensor.empty(ctx, d[0], GROUPS);
        rstd = Tensor.empty(ctx, d[0], GROUPS);
        GroupNorm.forward(ctx, y, mean, rstd, x, gamma, beta, GROUPS, 1e-5f, true);

        tx = torch.randn(n, c, d[1], d[2]);
        tg = torch.randn(c);
        tb = torch.randn(c);
        tdy = torch.randn(n, c, d[1], d[2]);
        T_TensorTensorTensor_T f = torch.native_group_norm(tx, new TensorOptional(tg), new TensorOptional(tb), n, c, hw,
                GROUPS, 1e-5);
        tz = f.get0();
        tmean = f.get1();
        trstd = f.get2();
        mask = new BoolPointer(3);
        for (int i = 0; i < 3; i++) {
            mask.put(i, true);
        }
    }

    @Benchmark
    public Tensor forwardD4j() {
        GroupNorm.forward(ctx, y, mean, rstd, x, gamma, beta, GROUPS, 1e-5f, true);
        return y;
    }

    @Benchmark
    public org.bytedeco.pytorch.Tensor forwardLibtorch() {
        try (PointerScope scope = new PointerScope()) { // frees the temporaries now, not at the next GC
            T_TensorTensorTensor_T f = torch.native_group_norm(tx, new TensorOptional(tg), new TensorOptional(tb), n, c, hw,
                    GROUPS, 1e-5);
            return torch.silu(f.get0());
        }
    }

    @Benchmark
    public Tensor backwardD4j() {
        GroupNorm.backward(ctx, dx, dgamma, dbeta, dy, x, mean, rstd, gamma, beta, GROUPS, true);
        return dx;
    }

    @Benchmark
    public T_TensorTensorTensor_T backwardLibtorch() {
        try (PointerScope scope = new PointerScope()) { // frees the temporaries now, not at the next GC
            org.bytedeco.pytorch.Tensor dz = torch.silu_backward(tdy, tz);
            return torch.native_group_norm_backward(dz, tx, tmean, trstd, new TensorOptional(tg), n, c, hw, GROUPS, mask);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Tensor t : new Tensor[] {x, y, dy, dx, gamma, beta, dgamma, dbeta, mean, rstd}) {
            t.close();
        }
        ctx.close();
    }
}
