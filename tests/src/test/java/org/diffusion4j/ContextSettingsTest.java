package org.diffusion4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ContextSettingsTest {
    @Test
    void convAlgorithmDefaultsToAutoAndRoundTripsEveryValue() {
        try (Context ctx = Context.create(Device.cpu())) {
            assertEquals(ConvAlgorithm.AUTO, ctx.convAlgorithm());
            for (ConvAlgorithm a : ConvAlgorithm.values()) {
                ctx.setConvAlgorithm(a);
                assertEquals(a, ctx.convAlgorithm());
            }
            assertThrows(NullPointerException.class, () -> ctx.setConvAlgorithm(null));
        }
    }

    /** BF16 is accepted exactly where the avx512+bf16 kernel build runs, and refused naming the build elsewhere. */
    @Test
    void precisionDefaultsToFp32AndBf16NeedsTheAvx512Bf16Build() {
        try (Context ctx = Context.create(Device.cpu())) {
            assertEquals(Precision.FP32, ctx.precision());
            ctx.setPrecision(Precision.FP32);
            assertEquals(Precision.FP32, ctx.precision());
            String isa = Device.cpuIsa();
            if (isa.equals("avx512+bf16")) {
                ctx.setPrecision(Precision.BF16);
                assertEquals(Precision.BF16, ctx.precision());
                ctx.setPrecision(Precision.FP32);
                assertEquals(Precision.FP32, ctx.precision());
            } else {
                D4jException e = assertThrows(D4jException.class, () -> ctx.setPrecision(Precision.BF16));
                assertEquals(Status.UNSUPPORTED, e.status());
                assertTrue(e.getMessage().contains("BF16") && e.getMessage().contains(isa), e.getMessage());
                assertEquals(Precision.FP32, ctx.precision());
            }
            assertThrows(NullPointerException.class, () -> ctx.setPrecision(null));
        }
    }

    @Test
    void nativeRejectsUnknownCodesNamingThem() {
        try (Context ctx = Context.create(Device.cpu())) {
            D4jException a = assertThrows(D4jException.class,
                    () -> org.diffusion4j.internal.Native.check(
                            org.diffusion4j.internal.D4jNative.d4j_ctx_set_conv_algo(ctxHandle(ctx), 7), ctx));
            assertTrue(a.getMessage().contains("algo is 7"), a.getMessage());
            D4jException p = assertThrows(D4jException.class,
                    () -> org.diffusion4j.internal.Native.check(
                            org.diffusion4j.internal.D4jNative.d4j_ctx_set_precision(ctxHandle(ctx), -2), ctx));
            assertTrue(p.getMessage().contains("precision is -2"), p.getMessage());
            assertEquals(ConvAlgorithm.AUTO, ctx.convAlgorithm());
            assertEquals(Precision.FP32, ctx.precision());
        }
    }

    private static org.diffusion4j.internal.D4jNative.d4j_ctx ctxHandle(Context ctx) {
        return ctx.handle();
    }
}
