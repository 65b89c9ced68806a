package org.diffusion4j.eval;

import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;
import org.diffusion4j.Context;
import org.diffusion4j.Seeds;
import org.diffusion4j.Tensor;
import org.diffusion4j.data.ImageDataset;

/**
 * Scores image sets against a data set in a classifier's features: FID against the test set,
 * class accuracy, precision and recall, each beside the real-data floor at the same N (N real
 * training images, drawn once with a seeded choice and cached). The test set's feature
 * statistics are computed once per evaluator.
 */
public final class Evaluator {
    private final Context ctx;
    private final ImageClassifier classifier;
    private final ImageDataset train;
    private final ImageDataset test;
    private final int batch;
    private final float[][] testFeatures;
    private final GaussianStats testStats;

    /**
     * @param train the training set (for the floor)
     * @param test the test set (the reference of FID, precision and recall)
     * @param batch images per classifier call
     */
    public Evaluator(Context ctx, ImageClassifier classifier, ImageDataset train, ImageDataset test, int batch) {
        this.ctx = Objects.requireNonNull(ctx, "ctx");
        this.classifier = Objects.requireNonNull(classifier, "classifier");
        this.train = Objects.requireNonNull(train, "train");
        this.test = Objects.requireNonNull(test, "test");
        if (batch < 1) {
            throw new IllegalArgumentException("batch is " + batch + "; it must be >= 1");
        }
        this.batch = batch;
        requireShape(train, "train");
        requireShape(test, "test");
        float[][] all = new float[test.size()][];
        for (int i = 0; i < all.length; i++) {
            all[i] = test.image(i);
        }
        this.testFeatures = features(all);
        this.testStats = GaussianStats.of(testFeatures);
    }

    private void requireShape(ImageDataset d, String name) {
        int[] s = classifier.imageShape();
        if (d.height() != s[0] || d.width() != s[1] || d.channels() != s[2]) {
            throw new IllegalArgumentException("the " + name + " images are " + d.height() + "×" + d.width() + "×"
                    + d.channels() + " but the classifier takes " + s[0] + "×" + s[1] + "×" + s[2]);
        }
    }

    /** Features of images (each H·W·C in [−1, 1]), in batches. */
    public float[][] features(float[][] images) {
        return run(images, true).features;
    }

    /** The classifier's verdict on each image. */
    public int[] predict(float[][] images) {
        return run(images, false).labels;
    }

    private record Out(float[][] features, int[] labels) {}

    private Out run(float[][] images, boolean wantFeatures) {
        int[] s = classifier.imageShape();
        int per = s[0] * s[1] * s[2];
        float[][] f = wantFeatures ? new float[images.length][] : null;
        int[] l = wantFeatures ? null : new int[images.length];
        for (int start = 0; start < images.length; start += batch) {
            int n = Math.min(batch, images.length - start);
            float[] flat = new float[n * per];
            for (int i = 0; i < n; i++) {
                if (images[start + i].length != per) {
                    throw new IllegalArgumentException("image " + (start + i) + " has " + images[start + i].length
                            + " values; the classifier takes " + per);
                }
                System.arraycopy(images[start + i], 0, flat, i * per, per);
            }
            try (Tensor x = Tensor.of(ctx, flat, n, s[0], s[1], s[2])) {
                if (wantFeatures) {
                    float[][] b = classifier.features(ctx, x);
                    System.arraycopy(b, 0, f, start, n);
                } else {
                    System.arraycopy(classifier.predict(ctx, x), 0, l, start, n);
                }
            }
        }
        return new Out(f, l);
    }

    /** The floor's real images: N training images chosen without replacement by the seed. */
    public int[] floorIndices(int n, long seed) {
        if (n < 2 || n > train.size()) {
            throw new IllegalArgumentException("n is " + n + "; it must be 2 to the " + train.size() + " training images");
        }
        int[] idx = new int[train.size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        SplittableRandom r = new SplittableRandom(Seeds.derive(seed, Seeds.Purpose.DATA_ORDER));
        for (int i = 0; i < n; i++) { // partial Fisher–Yates
            int j = i + r.nextInt(idx.length - i);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        return Arrays.copyOf(idx, n);
    }

    /**
     * Scores {@code images} (N × H·W·C in [−1, 1]) with their requested labels (null when the
     * model is unconditional), beside the floor of N real training images chosen by {@code seed}.
     * Precision and recall use N test images (the first N) as the real set.
     */
    public SampleScores score(float[][] images, int[] labels, long seed) {
        Objects.requireNonNull(images, "images");
        int n = images.length;
        if (labels != null && labels.length != n) {
            throw new IllegalArgumentException("labels has " + labels.length + " entries for " + n + " images");
        }
        if (n > test.size()) {
            throw new IllegalArgumentException(n + " images but the test set has " + test.size());
        }
        float[][] fake = features(images);
        int[] floorIdx = floorIndices(n, seed);
        float[][] real = new float[n][];
        int[] realLabels = new int[n];
        for (int i = 0; i < n; i++) {
            real[i] = train.image(floorIdx[i]);
            realLabels[i] = train.label(floorIdx[i]);
        }
        float[][] floorFeatures = features(real);
        float[][] testSubset = Arrays.copyOf(testFeatures, n);
        PrecisionRecall pr = PrecisionRecall.of(testSubset, fake);
        PrecisionRecall floorPr = PrecisionRecall.of(testSubset, floorFeatures);
        double acc = labels == null ? Double.NaN : accuracy(predict(images), labels);
        double floorAcc = train.classNames().isEmpty() ? Double.NaN : accuracy(predict(real), realLabels);
        return new SampleScores(n, GaussianStats.frechetDistance(GaussianStats.of(fake), testStats),
                GaussianStats.frechetDistance(GaussianStats.of(floorFeatures), testStats), acc, floorAcc, pr.precision(),
                pr.recall(), floorPr.precision(), floorPr.recall());
    }

    private static double accuracy(int[] predicted, int[] wanted) {
        int hit = 0;
        for (int i = 0; i < wanted.length; i++) {
            hit += predicted[i] == wanted[i] ? 1 : 0;
        }
        return (double) hit / wanted.length;
    }
}
