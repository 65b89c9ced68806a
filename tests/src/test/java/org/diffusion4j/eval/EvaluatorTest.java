package org.diffusion4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.data.ImageDataset;
import org.junit.jupiter.api.Test;

/** The evaluator's bookkeeping with a transparent classifier: features are the pixels' quadrant means. */
class EvaluatorTest {
    /** 4×4 grey images of two classes: bright left half or bright right half, with noise. */
    static final class Halves implements ImageDataset {
        final int size;
        final long seed;

        Halves(int size, long seed) {
            this.size = size;
            this.seed = seed;
        }

        @Override public int size() { return size; }
        @Override public int height() { return 4; }
        @Override public int width() { return 4; }
        @Override public int channels() { return 1; }
        @Override public List<String> classNames() { return List.of("left", "right"); }
        @Override public int label(int i) { return i % 2; }

        @Override
        public float[] image(int i) {
            SplittableRandom r = new SplittableRandom(seed * 1_000_003L + i);
            float[] x = new float[16];
            for (int p = 0; p < 16; p++) {
                boolean lit = (p % 4 < 2) == (label(i) == 0);
                x[p] = (lit ? 0.6f : -0.6f) + (float) (0.2 * r.nextGaussian());
            }
            return x;
        }
    }

    /** Features: the four quadrant means; verdict: brighter half. */
    static final ImageClassifier QUADRANTS = new ImageClassifier() {
        @Override public int[] imageShape() { return new int[] {4, 4, 1}; }
        @Override public List<String> classNames() { return List.of("left", "right"); }

        @Override
        public float[][] features(Context ctx, Tensor images) {
            float[] v = images.toArray();
            float[][] f = new float[images.dim(0)][4];
            for (int n = 0; n < f.length; n++) {
                for (int p = 0; p < 16; p++) {
                    f[n][(p / 8) * 2 + (p % 4) / 2] += v[n * 16 + p] / 4f;
                }
            }
            return f;
        }

        @Override
        public int[] predict(Context ctx, Tensor images) {
            float[][] f = features(ctx, images);
            int[] y = new int[f.length];
            for (int n = 0; n < f.length; n++) {
                y[n] = f[n][0] + f[n][2] > f[n][1] + f[n][3] ? 0 : 1;
            }
            return y;
        }
    };

    @Test
    void realTrainingImagesScoreExactlyTheFloor() {
        Halves train = new Halves(2000, 1);
        try (Context ctx = Context.create(Device.cpu())) {
            Evaluator ev = new Evaluator(ctx, QUADRANTS, train, new Halves(1000, 2), 64);
            int[] idx = ev.floorIndices(300, 9);
            float[][] images = new float[300][];
            int[] labels = new int[300];
            for (int i = 0; i < 300; i++) {
                images[i] = train.image(idx[i]);
                labels[i] = train.label(idx[i]);
            }
            SampleScores s = ev.score(images, labels, 9);
            System.out.println(s);
            assertEquals(s.floorFid(), s.fid(), 0.0, "the floor's own images");
            assertEquals(s.floorAccuracy(), s.accuracy(), 0.0);
            assertEquals(1.0, s.accuracy(), 0.0, "a separable toy task");
            assertTrue(s.fid() < 0.05, "real vs real FID " + s.fid());
            assertTrue(s.precision() > 0.9 && s.recall() > 0.9, s.toString());
        }
    }

    @Test
    void wrongImagesScoreWorseThanTheFloor() {
        try (Context ctx = Context.create(Device.cpu())) {
            Evaluator ev = new Evaluator(ctx, QUADRANTS, new Halves(2000, 1), new Halves(1000, 2), 64);
            Halves other = new Halves(300, 5);
            float[][] images = new float[300][];
            int[] labels = new int[300];
            for (int i = 0; i < 300; i++) {
                images[i] = other.image(i);
                labels[i] = 1 - other.label(i); // every label requested wrong
                for (int p = 0; p < 16; p++) {
                    images[i][p] *= 0.3f; // and the contrast collapsed
                }
            }
            SampleScores s = ev.score(images, labels, 9);
            System.out.println(s);
            assertTrue(s.fid() > 10 * s.floorFid() + 0.1, s.toString());
            assertEquals(0.0, s.accuracy(), 0.0);
            assertTrue(s.precision() < 0.2, s.toString());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ev.score(images, new int[] {1}, 0));
            assertTrue(e.getMessage().contains("labels has 1 entries for 300 images"), e.getMessage());
        }
    }
}
