package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NoiseScheduleTest {
    @Test
    void linearIsTheDdpmSetting() {
        NoiseSchedule s = NoiseSchedule.linear(1000);
        assertEquals(1000, s.timesteps());
        assertEquals(1e-4, s.beta(0), 1e-15);
        assertEquals(0.02, s.beta(999), 1e-15);
        double prod = 1;
        for (int t = 0; t < 1000; t++) {
            prod *= 1 - s.beta(t);
            assertEquals(prod, s.alphaBar(t), 1e-15);
        }
        assertEquals(4.0358e-5, s.alphaBar(999), 1e-8); // ᾱ_T of DDPM's schedule
    }

    @Test
    void cosineFollowsItsClosedForm() {
        NoiseSchedule s = NoiseSchedule.cosine(1000);
        for (int t = 0; t < 990; t += 7) {
            double f0 = Math.pow(Math.cos(0.008 / 1.008 * Math.PI / 2), 2);
            double ft = Math.pow(Math.cos(((t + 1) / 1000.0 + 0.008) / 1.008 * Math.PI / 2), 2);
            assertEquals(ft / f0, s.alphaBar(t), 1e-12, "t=" + t);
        }
        assertTrue(s.beta(999) <= 0.999);
    }

    @Test
    void badBetasNameTheIndex() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NoiseSchedule.ofBetas(new double[] {0.1, 0.2, 1.0}));
        assertTrue(e.getMessage().contains("beta[2] is 1.0"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NoiseSchedule.ofBetas(new double[] {Double.NaN}));
        assertThrows(IllegalArgumentException.class, () -> NoiseSchedule.ofBetas(new double[0]));
        IllegalArgumentException t = assertThrows(IllegalArgumentException.class, () -> NoiseSchedule.linear(0));
        assertTrue(t.getMessage().contains("timesteps is 0"), t.getMessage());
        IllegalArgumentException idx = assertThrows(IllegalArgumentException.class,
                () -> NoiseSchedule.linear(10, 1e-4, 0.02).alphaBar(10));
        assertTrue(idx.getMessage().contains("timestep 10"), idx.getMessage());
        IllegalArgumentException shortLinear = assertThrows(IllegalArgumentException.class,
                () -> NoiseSchedule.linear(20));
        assertTrue(shortLinear.getMessage().contains("linear(20)"), shortLinear.getMessage());
        assertEquals(0.4, NoiseSchedule.linear(50).beta(49), 1e-12); // 0.02 * 1000/50
    }
}
