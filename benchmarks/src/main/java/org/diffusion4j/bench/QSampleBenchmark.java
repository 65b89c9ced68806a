package org.diffusion4j.bench;

import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AbstractTensor;
import org.bytedeco.pytorch.global.torch;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.diffusion.NoiseSchedule;
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
 * The forward-process sample x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε on the CPU: our fused q_sample (one
 * pass: read x_0, write x_t and ε, 12 bytes per element) beside libtorch doing the same work
 * (randn, then a·x_0 + b·ε with per-sample coefficients gathered by index_select).
 * Shapes are N×H×W×C: 64×32×32×1 and 256×64×64×3 (64×1×32×32 and 256×3×64×64 in NCHW).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Thread)
public class QSampleBenchmark {
    @Param({"64x32x32x1", "256x64x64x3"})
    public String shape;

    private final NoiseSchedule schedule = NoiseSchedule.linear(1000);
    private final org.diffusion4j.diffusion.GaussianDiffusion diffusion = org.diffusion4j.diffusion.GaussianDiffusion.of(schedule);
    private Context ctx;
    private Tensor x0;
    private Tensor xt;
    private Tensor eps;
    private int[] t;

    private org.bytedeco.pytorch.Tensor tx0;
    private org.bytedeco.pytorch.Tensor sqrtAb;
    private org.bytedeco.pytorch.Tensor sqrt1mAb;
    private org.bytedeco.pytorch.Tensor tIndex;

    @Setup(Level.Trial)
    public void setUp() {
        int[] dims = Shapes.parse(shape);
        ctx = Context.create(Device.cpu(), 1);
        x0 = Tensor.empty(ctx, dims).fillUniform(-1f, 1f);
        xt = Tensor.empty(ctx, dims);
        eps = Tensor.empty(ctx, dims);
        t = new int[dims[0]];
        long[] tl = new long[dims[0]];
        float[] ab = new float[1000];
        float[] b = new float[1000];
        for (int i = 0; i < t.length; i++) {
            t[i] = (i * 397 + 11) % 1000;
            tl[i] = t[i];
        }
        for (int i = 0; i < 1000; i++) {
            ab[i] = (float) Math.sqrt(schedule.alphaBar(i));
            b[i] = (float) Math.sqrt(1 - schedule.alphaBar(i));
        }
        tx0 = torch.rand(Shapes.longs(dims)).mul_(new org.bytedeco.pytorch.Scalar(2.0)).sub_(new org.bytedeco.pytorch.Scalar(1.0));
        sqrtAb = AbstractTensor.create(ab);
        sqrt1mAb = AbstractTensor.create(b);
        tIndex = AbstractTensor.create(tl);
    }

    @Benchmark
    public Tensor d4j() {
        diffusion.qSample(ctx, xt, eps, x0, t);
        ctx.synchronize(); // a no-op on the CPU; on a GPU the time must include the kernel, not just its launch
        return xt;
    }

    @Benchmark
    public org.bytedeco.pytorch.Tensor libtorch() {
        try (PointerScope scope = new PointerScope()) { // frees the temporaries now, not at the next GC
            long n = tx0.size(0);
            org.bytedeco.pytorch.Tensor e = torch.randn_like(tx0);
            org.bytedeco.pytorch.Tensor a = sqrtAb.index_select(0, tIndex).view(n, 1, 1, 1);
            org.bytedeco.pytorch.Tensor b = sqrt1mAb.index_select(0, tIndex).view(n, 1, 1, 1);
            org.bytedeco.pytorch.Tensor out = tx0.mul(a).addcmul_(b, e);
            e.close();
            a.close();
            b.close();
            return out; // JMH consumes it; its memory is released by the Pointer deallocator
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        xt.close();
        eps.close();
        x0.close();
        ctx.close();
    }
}
