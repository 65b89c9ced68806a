package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The named spacings visit exactly the timesteps diffusers' DDIMScheduler visits: a table of
 * 450 (spacing, T, S) rows made with numpy from its formulas by tests/tools/ddim_timesteps.py.
 */
class SpacingTest {
    @Test
    void everyRowOfTheDiffusersTableMatches() throws IOException {
        int rows = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                SpacingTest.class.getResourceAsStream("/ddim-timesteps.csv"), StandardCharsets.US_ASCII))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split(",");
                Spacing spacing = Spacing.ofId(f[0]);
                int t = Integer.parseInt(f[1]);
                int s = Integer.parseInt(f[2]);
                int[] want = Arrays.stream(f[3].split(" ")).mapToInt(Integer::parseInt).toArray();
                int[] asc = spacing.timesteps(t, s);
                int[] desc = new int[asc.length];
                for (int i = 0; i < asc.length; i++) {
                    desc[i] = asc[asc.length - 1 - i];
                }
                assertArrayEquals(want, desc, line.substring(0, Math.min(line.length(), 40)));
                rows++;
            }
        }
        assertEquals(450, rows, "rows checked");
    }

    @Test
    void trailingRoundsHalvesToEvenAsNumpyDoes() {
        // T/S = 62.5: 937.5 → 938, 812.5 → 812 (Math.round would give 813 and so visit 812)
        int[] asc = Spacing.TRAILING.timesteps(1000, 16);
        for (int want : new int[] {61, 311, 561, 811}) {
            assertTrue(Arrays.binarySearch(asc, want) >= 0, want + " in " + Arrays.toString(asc));
        }
        assertTrue(Arrays.binarySearch(asc, 812) < 0);
        assertArrayEquals(new int[] {0}, Spacing.LINSPACE.timesteps(1000, 1), "diffusers: linspace(0, 999, 1) = [0]");
        assertArrayEquals(new int[] {999}, Spacing.TRAILING.timesteps(1000, 1));
    }

    @Test
    void samplerTimestepsFollowTheSpacing() {
        GaussianDiffusion d = GaussianDiffusion.of(NoiseSchedule.linear(1000));
        assertArrayEquals(new int[] {999, 749, 499, 249}, DdimSampler.of(d, 4).timesteps());
        assertArrayEquals(new int[] {750, 500, 250, 0}, new DdimSampler(d, 4, 0, Spacing.LEADING, 0, true).timesteps());
        assertArrayEquals(new int[] {999, 666, 333, 0}, new DdimSampler(d, 4, 0, Spacing.LINSPACE, 0, true).timesteps());
        assertArrayEquals(new int[] {999, 666, 333, 0}, new DdpmSampler(d, 4, Spacing.LINSPACE, 0, true).timesteps());
        assertEquals(1000, DdpmSampler.of(d).steps());
    }

    @Test
    void badCountsNameTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Spacing.TRAILING.timesteps(1000, 0));
        assertTrue(e.getMessage().contains("steps is 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Spacing.LEADING.timesteps(100, 101));
        assertTrue(e.getMessage().contains("steps is 101") && e.getMessage().contains("T = 100"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Spacing.ofId("uniform"));
        assertTrue(e.getMessage().contains("uniform"), e.getMessage());
    }
}
