package org.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.testing.GradCheck;
import org.diffusion4j.testing.TestData;
import org.diffusion4j.testing.TestNets;
import org.junit.jupiter.api.Test;

/** The noise-conditional classifier: shapes, its input gradient against central differences, freezing, refusals. */
class NoisyClassifierTest {
    static final UNetConfig TINY = new UNetConfig(8, 1, 8, new int[] {1, 2}, 1, new int[] {4}, 2, 2, 0f, 3, 16);

    /** Σ_n log softmax(logits_n)[labels_n] in float64, one entry per sample. */
    static float[] logProbabilities(float[] logits, int k, int[] labels) {
        float[] out = new float[labels.length];
        for (int n = 0; n < labels.length; n++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < k; j++) {
                max = Math.max(max, logits[n * k + j]);
            }
            double sum = 0;
            for (int j = 0; j < k; j++) {
                sum += Math.exp(logits[n * k + j] - max);
            }
            out[n] = (float) (logits[n * k + labels[n]] - max - Math.log(sum));
        }
        return out;
    }

    @Test
    void freshClassifierIsUniformAndKeepsShapes() {
        try (Context ctx = Context.create(Device.cpu(), 1); NoisyClassifier c = new NoisyClassifier(ctx, UNetConfig.fashionMnist(), 0);
                Tensor x = Tensor.empty(ctx, 2, 28, 28, 1).fillNormal(0f, 1f)) {
            Tensor logits = c.forward(ctx, x, new int[] {0, 999}, false);
            assertArrayEquals(new int[] {2, 10}, logits.shape());
            for (float v : logits.toArray()) {
                assertEquals(0f, v, "the head starts at zero");
            }
            long count = c.parameters().stream().mapToLong(p -> p.value().numel()).sum();
            System.out.println("Fashion-MNIST noisy classifier: " + c.parameters().size() + " tensors, " + count + " parameters");
        }
    }

    @Test
    void inputGradientMatchesFiniteDifferences() {
        try (Context ctx = Context.create(Device.cpu(), 2); NoisyClassifier c = TestNets.randomize(new NoisyClassifier(ctx, TINY, 0))) {
            int[] t = {10, 700, 350};
            int[] labels = {2, 0, 1};
            float[] x = TestData.random(5, 3 * 8 * 8, 1f);
            float[] ones = {1f, 1f, 1f};
            try (Tensor tx = Tensor.of(ctx, x, 3, 8, 8, 1); Tensor grad = Tensor.empty(ctx, 3, 8, 8, 1)) {
                c.inputGradient(ctx, grad, tx, t, labels);
                float[] analytic = grad.toArray();
                double worst = GradCheck.maxRelativeError(v -> {
                    tx.copyFrom(v);
                    return logProbabilities(c.forward(ctx, tx, t, false).toArray(), 3, labels);
                }, x, ones, analytic, 1e-2f, 192);
                System.out.println("noisy classifier input gradient vs central differences: worst relative error " + worst);
                assertTrue(worst < 2e-2, "worst relative error " + worst);
                double norm = 0;
                for (float g : analytic) {
                    norm += g * g;
                }
                assertTrue(norm > 1e-6, "the gradient is not zero (|g|² = " + norm + ")");
            }
        }
    }

    @Test
    void frozenClassifierGivesTheSameGradientAndWritesNoParameterGradient() {
        try (Context ctx = Context.create(Device.cpu(), 1); NoisyClassifier c = TestNets.randomize(new NoisyClassifier(ctx, TINY, 0));
                Tensor x = Tensor.of(ctx, TestData.random(9, 2 * 64, 1f), 2, 8, 8, 1);
                Tensor g1 = Tensor.empty(ctx, 2, 8, 8, 1); Tensor g2 = Tensor.empty(ctx, 2, 8, 8, 1)) {
            int[] t = {5, 500};
            int[] labels = {1, 2};
            c.zeroGrad();
            c.inputGradient(ctx, g1, x, t, labels);
            double unfrozen = gradientMass(c);
            assertTrue(unfrozen > 0, "an unfrozen classifier accumulates parameter gradients");
            c.zeroGrad();
            c.setFrozen(true);
            assertTrue(c.isFrozen());
            c.inputGradient(ctx, g2, x, t, labels);
            assertEquals(0.0, gradientMass(c), "a frozen classifier writes no parameter gradient");
            assertArrayEquals(g1.toArray(), g2.toArray(), "freezing does not change the input gradient");
        }
    }

    private static double gradientMass(Module m) {
        double s = 0;
        for (Param p : m.parameters()) {
            for (float g : p.grad().toArray()) {
                s += Math.abs(g);
            }
        }
        return s;
    }

    @Test
    void refusesBadConfigsAndInputs() {
        try (Context ctx = Context.create(Device.cpu(), 1)) {
            UNetConfig one = new UNetConfig(8, 1, 8, new int[] {1, 2}, 1, new int[] {4}, 2, 2, 0f, 1, 16);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new NoisyClassifier(ctx, one, 0));
            assertTrue(e.getMessage().contains("at least 2 classes"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new NoisyClassifier(ctx, TINY.withLearnedVariance(true), 0));
            assertTrue(e.getMessage().contains("learnVariance"), e.getMessage());
            try (NoisyClassifier c = new NoisyClassifier(ctx, TINY, 0); Tensor wrong = Tensor.zeros(ctx, 2, 4, 4, 1);
                    Tensor x = Tensor.zeros(ctx, 2, 8, 8, 1); Tensor g = Tensor.zeros(ctx, 2, 8, 8, 1)) {
                e = assertThrows(IllegalArgumentException.class, () -> c.forward(ctx, wrong, new int[] {0, 0}, false));
                assertTrue(e.getMessage().contains("[2, 4, 4, 1]"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> c.forward(ctx, x, new int[] {0}, false));
                assertTrue(e.getMessage().contains("t has 1 entries"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> c.inputGradient(ctx, g, x, new int[] {0, 0}, new int[] {0, 3}));
                assertTrue(e.getMessage().contains("labels[1] is 3"), e.getMessage());
            }
        }
    }
}
