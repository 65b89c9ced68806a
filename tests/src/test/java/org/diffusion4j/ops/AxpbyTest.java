package org.diffusion4j.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.diffusion4j.Context;
import org.diffusion4j.D4jException;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * out = a[n]·x + b[n]·y against a loop: Math.fma(a, x, b·y) bit for bit (the native rounding),
 * y null, out aliasing x and y, samples split into runs and the parallel path; bad arguments
 * named. Outputs poisoned with NaN.
 */
class AxpbyTest {
    @ParameterizedTest
    @ValueSource(strings = {"5x3x3x2", "3x10001", "64x28x28x1", "7"})
    void matchesALoop(String dims) {
        int[] shape = TestData.shape(dims);
        int n = TestData.numel(shape);
        int per = n / shape[0];
        float[] x = TestData.random(1, n, 1f);
        float[] y = TestData.random(2, n, 1f);
        float[] a = TestData.random(3, shape[0], 2f);
        float[] b = TestData.random(4, shape[0], 2f);
        for (String mode : new String[] {"separate", "out=x", "out=y", "y=null", "y=null,out=x"}) {
            boolean withY = !mode.startsWith("y=null");
            try (Context ctx = Context.create(Device.cpu());
                    Tensor tx = Tensor.of(ctx, x, shape);
                    Tensor ty = Tensor.of(ctx, y, shape);
                    Tensor sep = Tensor.empty(ctx, shape).fill(Float.NaN)) {
                Tensor out = mode.endsWith("out=x") ? tx : mode.equals("out=y") ? ty : sep;
                Axpby.apply(ctx, out, tx, withY ? ty : null, a, withY ? b : null);
                float[] got = out.toArray();
                for (int i = 0; i < n; i++) {
                    int s = i / per;
                    float want = withY ? Math.fma(a[s], x[i], b[s] * y[i]) : a[s] * x[i];
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[i]),
                            mode + ": element " + i + " is " + got[i] + ", want " + want);
                }
            }
        }
    }

    @Test
    void badArgumentsAreNamed() {
        try (Context ctx = Context.create(Device.cpu());
                Tensor x = Tensor.empty(ctx, 3, 5);
                Tensor out = Tensor.empty(ctx, 3, 5);
                Tensor wrong = Tensor.empty(ctx, 3, 6)) {
            float[] ok = {1, 2, 3};
            IllegalArgumentException few = assertThrows(IllegalArgumentException.class,
                    () -> Axpby.apply(ctx, out, x, x, new float[] {1, 2}, ok));
            assertTrue(few.getMessage().contains("a has 2 entries but there are 3 samples"), few.getMessage());
            IllegalArgumentException inf = assertThrows(IllegalArgumentException.class,
                    () -> Axpby.apply(ctx, out, x, x, ok, new float[] {1, Float.POSITIVE_INFINITY, 3}));
            assertTrue(inf.getMessage().contains("b[1] is Infinity"), inf.getMessage());
            NullPointerException noB = assertThrows(NullPointerException.class, () -> Axpby.apply(ctx, out, x, x, ok, null));
            assertTrue(noB.getMessage().contains("b"), noB.getMessage());
            Axpby.apply(ctx, out, x, null, ok, null); // b is not needed without y
            D4jException shape = assertThrows(D4jException.class, () -> Axpby.apply(ctx, out, x, wrong, ok, ok));
            assertTrue(shape.getMessage().contains("y has shape [3, 6] but out has shape [3, 5]"), shape.getMessage());
        }
    }
}
