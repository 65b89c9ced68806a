package org.diffusion4j;

import java.util.Objects;
import java.util.OptionalLong;
import org.diffusion4j.internal.D4jNative;
import org.diffusion4j.internal.Native;

/**
 * A device the native core can run on: the CPU, or a CUDA GPU by ordinal. Asking for a CUDA
 * device that does not exist throws; nothing silently falls back to the CPU.
 */
public final class Device {
    /** Kind of device. */
    public enum Type {
        CPU(D4jNative.D4J_DEVICE_CPU),
        CUDA(D4jNative.D4J_DEVICE_CUDA);

        final int code;

        Type(int code) {
            this.code = code;
        }
    }

    private static final Device CPU = new Device(Type.CPU, 0);

    private final Type type;
    private final int ordinal;

    private Device(Type type, int ordinal) {
        this.type = type;
        this.ordinal = ordinal;
    }

    /** The CPU backend (AVX2+FMA where the CPU has it, portable code otherwise). */
    public static Device cpu() {
        Native.load();
        return CPU;
    }

    /**
     * CUDA device {@code ordinal}.
     *
     * @throws D4jException with {@link Status#NO_DEVICE} when there is no such device (including
     *     when no GPU, no driver, or no CUDA backend is present)
     */
    public static Device cuda(int ordinal) {
        int count = cudaDeviceCount();
        if (ordinal < 0 || ordinal >= count) {
            boolean built = cudaBuilt();
            throw new D4jException(Status.NO_DEVICE, "CUDA device " + ordinal + " does not exist (" + count
                    + " CUDA device" + (count == 1 ? "" : "s")
                    + (built ? "" : "; this library was built without CUDA") + ")");
        }
        return new Device(Type.CUDA, ordinal);
    }

    /** CUDA device 0 when there is one, else the CPU. */
    public static Device best() {
        return cudaDeviceCount() > 0 ? cuda(0) : cpu();
    }

    /** Number of usable CUDA devices; 0 without a GPU, a driver, or the CUDA backend. */
    public static int cudaDeviceCount() {
        Native.load();
        int[] count = new int[1];
        Native.check(D4jNative.d4j_cuda_device_count(count));
        return count[0];
    }

    /** Whether the loaded native library contains the CUDA backend. */
    public static boolean cudaBuilt() {
        Native.load();
        int[] built = new int[1];
        Native.check(D4jNative.d4j_cuda_built(built));
        return built[0] != 0;
    }

    /** Instruction set of the CPU kernels in use: {@code "avx512+bf16"}, {@code "avx2+fma"} or {@code "generic"}. */
    public static String cpuIsa() {
        Native.load();
        return D4jNative.d4j_cpu_isa().getString();
    }

    /**
     * Whether the bf16 convolutions ({@link Precision#BF16}) run on AMX tiles: the {@code avx512+bf16}
     * build on a CPU with AMX-TILE and AMX-BF16 whose kernel granted this process the tile state
     * ({@code D4J_CPU_ISA=avx512} rules it out). Otherwise they run on {@code VDPBF16PS}.
     */
    public static boolean cpuAmx() {
        Native.load();
        return D4jNative.d4j_cpu_amx() != 0;
    }

    /** Threads the CPU backend uses (OpenMP; set {@code OMP_NUM_THREADS} to change). */
    public static int cpuThreads() {
        Native.load();
        int[] threads = new int[1];
        Native.check(D4jNative.d4j_cpu_threads(threads));
        return threads[0];
    }

    /**
     * Measures this CPU's multiply-add throughput on all backend threads (about a second of
     * register-resident FMAs), in GFLOP/s: the peak that benchmarks report fractions of.
     */
    public static double measureCpuFmaPeak() {
        Native.load();
        double[] gflops = new double[1];
        Native.check(D4jNative.d4j_cpu_fma_peak(gflops, 100_000_000L));
        return gflops[0];
    }

    public Type type() {
        return type;
    }

    public int ordinal() {
        return ordinal;
    }

    /** A human-readable name: the GPU's product name, or the CPU backend's description. */
    public String name() {
        if (type == Type.CPU) {
            return "CPU (" + cpuIsa() + (cpuAmx() ? ", amx" : "") + ", " + cpuThreads() + " threads)";
        }
        byte[] name = new byte[256];
        long[] mem = new long[1];
        Native.check(D4jNative.d4j_cuda_device_info(name, mem, ordinal, name.length));
        int len = 0;
        while (len < name.length && name[len] != 0) {
            len++;
        }
        return new String(name, 0, len, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Total memory of a CUDA device in bytes; empty for the CPU. */
    public OptionalLong totalMemory() {
        if (type == Type.CPU) {
            return OptionalLong.empty();
        }
        byte[] name = new byte[256];
        long[] mem = new long[1];
        Native.check(D4jNative.d4j_cuda_device_info(name, mem, ordinal, name.length));
        return OptionalLong.of(mem[0]);
    }

    int code() {
        return type.code;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Device d && d.type == type && d.ordinal == ordinal;
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, ordinal);
    }

    /** {@code "cpu"} or {@code "cuda:N"}. */
    @Override
    public String toString() {
        return type == Type.CPU ? "cpu" : "cuda:" + ordinal;
    }
}
