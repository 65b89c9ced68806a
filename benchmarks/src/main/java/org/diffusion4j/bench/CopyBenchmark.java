package org.diffusion4j.bench;

import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.global.torch;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
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
 * The machine's copy bandwidth, measured in the same run as the kernels it judges: a tensor copy
 * (8 bytes moved per element: one read, one write) at the q_sample shapes and at 64 MiB, well
 * outside every cache, with libtorch's copy_ beside ours.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Thread)
public class CopyBenchmark {
    @Param({"64x32x32x1", "256x64x64x3", "16777216"})
    public String shape;

    private Context ctx;
    private Tensor src;
    private Tensor dst;
    private org.bytedeco.pytorch.Tensor tsrc;
    private org.bytedeco.pytorch.Tensor tdst;

    @Setup(Level.Trial)
    public void setUp() {
        int[] dims = Shapes.parse(shape);
        ctx = Context.create(Device.cpu(), 2);
        src = Tensor.empty(ctx, dims).fillUniform(-1f, 1f);
        dst = Tensor.zeros(ctx, dims);
        tsrc = torch.rand(Shapes.longs(dims));
        tdst = torch.zeros(Shapes.longs(dims));
    }

    @Benchmark
    public Tensor d4j() {
        dst.copyFrom(src);
        ctx.synchronize(); // a no-op on the CPU; on a GPU the time must include the copy, not just its launch
        return dst;
    }

    @Benchmark
    public org.bytedeco.pytorch.Tensor libtorch() {
        try (PointerScope scope = new PointerScope()) { // frees the temporaries now, not at the next GC
            return tdst.copy_(tsrc);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        src.close();
        dst.close();
        ctx.close();
    }
}
