package org.diffusion4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DeviceTest {
    @Test
    void cpuIsAlwaysThere() {
        Device cpu = Device.cpu();
        assertEquals(Device.Type.CPU, cpu.type());
        assertEquals("cpu", cpu.toString());
        assertTrue(cpu.name().contains(Device.cpuIsa()), cpu.name());
        assertTrue(Device.cpuThreads() >= 1);
        assertTrue(cpu.totalMemory().isEmpty());
    }

    /** AMX tiles only under the avx512+bf16 build, and the CPU's name says when they are used. */
    @Test
    void amxOnlyWithTheBf16BuildAndNamed() {
        if (!Device.cpuIsa().equals("avx512+bf16")) {
            assertTrue(!Device.cpuAmx(), "AMX reported under the " + Device.cpuIsa() + " build");
        }
        assertEquals(Device.cpuAmx(), Device.cpu().name().contains("amx"), Device.cpu().name());
    }

    @Test
    void missingCudaDeviceThrowsNamingTheIndex() {
        int count = Device.cudaDeviceCount();
        D4jException e = assertThrows(D4jException.class, () -> Device.cuda(count + 3));
        assertEquals(Status.NO_DEVICE, e.status());
        assertTrue(e.getMessage().contains("CUDA device " + (count + 3) + " does not exist"), e.getMessage());
        D4jException neg = assertThrows(D4jException.class, () -> Device.cuda(-1));
        assertTrue(neg.getMessage().contains("-1"), neg.getMessage());
    }

    @Test
    void bestIsCudaOnlyWhenThereIsAGpu() {
        Device best = Device.best();
        assertEquals(Device.cudaDeviceCount() > 0 ? Device.Type.CUDA : Device.Type.CPU, best.type());
    }

    @Test
    void nativeRejectsAMissingDeviceToo() {
        // the C API checks the ordinal itself, independent of the Java-side check
        int[] count = new int[1];
        org.diffusion4j.internal.Native.check(org.diffusion4j.internal.D4jNative.d4j_cuda_device_count(count));
        org.diffusion4j.internal.D4jNative.d4j_ctx ctx = new org.diffusion4j.internal.D4jNative.d4j_ctx();
        D4jException e = assertThrows(D4jException.class, () -> org.diffusion4j.internal.Native.check(
                org.diffusion4j.internal.D4jNative.d4j_ctx_create(ctx, 1, count[0] + 7)));
        assertEquals(Status.NO_DEVICE, e.status());
        assertTrue(e.getMessage().startsWith("d4j_ctx_create: CUDA device " + (count[0] + 7)), e.getMessage());
    }
}
