package org.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.testing.TestData;
import org.junit.jupiter.api.Test;

/** The U-Net's shapes, initialisation and its whole backward pass against central differences. */
class UNetTest {
    static final UNetConfig TINY = new UNetConfig(8, 1, 8, new int[] {1, 2}, 1, new int[] {4}, 2, 2, 0f, 3, 16);

    @Test
    void freshModelPredictsZeroAndKeepsShapes() {
        try (Context ctx = Context.create(Device.cpu(), 1); UNet net = new UNet(ctx, UNetConfig.fashionMnist());
                Tensor x = Tensor.empty(ctx, 2, 28, 28, 1).fillNormal(0f, 1f)) {
            Tensor eps = net.forward(ctx, x, new int[] {0, 999}, new int[] {3, 10}, false);
            assertArrayEquals(new int[] {2, 28, 28, 1}, eps.shape());
            for (float v : eps.toArray()) {
                assertEquals(0f, v, "the output convolution starts at zero");
            }
            long count = net.parameters().stream().mapToLong(p -> p.value().numel()).sum();
            System.out.println("Fashion-MNIST U-Net: " + net.parameters().size() + " tensors, " + count + " parameters");
            assertTrue(count > 100_000 && count < 10_000_000, "parameter count " + count);
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                    () -> net.forward(ctx, x, new int[] {0, 1}, new int[] {0, 11}, false));
            assertTrue(bad.getMessage().contains("labels[1] is 11"), bad.getMessage());
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        try (Context ctx = Context.create(Device.cpu(), 2); UNet net = new UNet(ctx, TINY)) {
            for (Param p : net.parameters()) { // leave the zero start so every path carries gradient
                float[] v = TestData.random(p.name().hashCode(), (int) p.value().numel(), 0.3f);
                if (p.name().endsWith("gamma")) {
                    for (int i = 0; i < v.length; i++) {
                        v[i] += 1f;
                    }
                }
                p.value().copyFrom(v);
            }
            int[] t = {10, 700};
            int[] labels = {2, 3};
            float[] x = TestData.random(5, 2 * 8 * 8, 1f);
            float[] r = TestData.random(6, 2 * 8 * 8, 1f);
            try (Tensor tx = Tensor.of(ctx, x, 2, 8, 8, 1); Tensor dOut = Tensor.of(ctx, r, 2, 8, 8, 1)) {
                net.zeroGrad();
                net.forward(ctx, tx, t, labels, true);
                net.backward(ctx, dOut);
                double worst = 0;
                String worstName = "";
                for (Param p : net.parameters()) {
                    float[] grad = p.grad().toArray();
                    float[] value = p.value().toArray();
                    int[] probe = {0, value.length / 2, value.length - 1};
                    for (int j : probe) {
                        float keep = value[j];
                        float h = 1e-2f;
                        value[j] = keep + h;
                        p.value().copyFrom(value);
                        double plus = loss(net.forward(ctx, tx, t, labels, true), r);
                        value[j] = keep - h;
                        p.value().copyFrom(value);
                        double minus = loss(net.forward(ctx, tx, t, labels, true), r);
                        value[j] = keep;
                        p.value().copyFrom(value);
                        double numeric = (plus - minus) / (2 * h);
                        double err = Math.abs(numeric - grad[j]) / Math.max(0.05, Math.abs(numeric) + Math.abs(grad[j]));
                        if (err > worst) {
                            worst = err;
                            worstName = p.name() + "[" + j + "] numeric " + numeric + " analytic " + grad[j];
                        }
                    }
                }
                System.out.println("U-Net backward vs central differences: worst relative error " + worst + " at " + worstName);
                assertTrue(worst < 0.03, "worst " + worst + " at " + worstName);
            }
        }
    }

    private static double loss(Tensor out, float[] r) {
        float[] y = out.toArray();
        double s = 0;
        for (int i = 0; i < y.length; i++) {
            s += (double) y[i] * r[i];
        }
        return s;
    }

    @Test
    void badConfigurationsAreRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> new UNetConfig(28, 1, 30, new int[] {1, 2}, 1, new int[] {}, 4, 8, 0.1f, 10, 128));
        assertThrows(IllegalArgumentException.class,
                () -> new UNetConfig(7, 1, 32, new int[] {1, 2}, 1, new int[] {}, 4, 8, 0.1f, 10, 128));
        assertThrows(IllegalArgumentException.class,
                () -> new UNetConfig(28, 1, 32, new int[] {1, 2}, 1, new int[] {}, 4, 8, 1f, 10, 128));
    }

    @Test
    void configRoundTripsThroughMetadata() {
        UNetConfig c = UNetConfig.small(32, 3, 0, 16).withDropout(0.25f);
        UNetConfig back = UNetConfig.fromMetadata(c.toMetadata());
        assertEquals(c.toString(), back.toString());
        assertTrue(c.sameArchitecture(back.withDropout(0f)));
        assertFalse(c.sameArchitecture(UNetConfig.small(32, 3, 10, 16)));
        java.util.Map<String, String> m = new java.util.HashMap<>(c.toMetadata());
        m.put("unet.multipliers", "1,x");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> UNetConfig.fromMetadata(m));
        assertTrue(e.getMessage().contains("unet.multipliers") && e.getMessage().contains("1,x"), e.getMessage());
        m.put("unet.multipliers", "1,2,2");
        m.remove("unet.heads");
        e = assertThrows(IllegalArgumentException.class, () -> UNetConfig.fromMetadata(m));
        assertTrue(e.getMessage().contains("unet.heads"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> UNetConfig.small(30, 1, 10, 32));
    }

    /** The CIFAR-10 preset has the DDPM CIFAR-10 network's size (35.7M parameters plus the class embedding). */
    @Test
    void cifarPresetHasTheDdpmSize() {
        try (Context ctx = Context.create(Device.cpu(), 1); UNet net = new UNet(ctx, UNetConfig.cifar10())) {
            long n = net.parameters().stream().mapToLong(p -> p.value().numel()).sum();
            System.out.println("CIFAR-10 preset: " + n + " parameters");
            assertTrue(n > 35_000_000 && n < 37_000_000, "parameters: " + n);
        }
    }
}
