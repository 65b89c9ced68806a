package org.diffusion4j.testing;

import org.diffusion4j.Context;
import org.diffusion4j.nn.Module;
import org.diffusion4j.nn.Param;
import org.diffusion4j.nn.UNet;
import org.diffusion4j.nn.UNetConfig;

/** Networks for tests whose outputs depend on every weight. */
public final class TestNets {
    private TestNets() {}

    /** A U-Net with every weight random (a fresh one's zero output convolution would predict zeros). */
    public static UNet randomNet(Context ctx, UNetConfig config) {
        return randomize(new UNet(ctx, config));
    }

    /** Sets every weight of m to a random value (γ around 1), a function of the parameter's name; returns m. */
    public static <M extends Module> M randomize(M m) {
        for (Param p : m.parameters()) {
            float[] v = TestData.random(p.name().hashCode(), (int) p.value().numel(), 0.3f);
            if (p.name().endsWith("gamma")) {
                for (int i = 0; i < v.length; i++) {
                    v[i] += 1f;
                }
            }
            p.value().copyFrom(v);
        }
        return m;
    }
}
