package org.diffusion4j.bench;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The whole U-Net against libtorch: our network and its libtorch twin (TorchUNet, written with
 * libtorch's functional ops and autograd) compute the same output and the same gradient for all
 * 167 parameter tensors — the check UNetStepReport runs before timing, kept in the test suite so
 * a change to either network breaks the build, and shown to notice a nudged weight.
 */
class TorchUNetTest {
    @Test
    void twinComputesOurUNet() {
        String line = UNetStepReport.checkTwin(null);
        System.out.println(line);
        assertTrue(line.contains("167 parameter tensors"), line);
    }

    @Test
    void aNudgedWeightFailsTheCheck() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> UNetStepReport.checkTwin("mid.res1.conv1.weight"));
        System.out.println("nudged twin: " + e.getMessage());
    }
}
