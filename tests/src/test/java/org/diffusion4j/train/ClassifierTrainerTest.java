package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.data.FashionMnist;
import org.diffusion4j.data.ImageDataset;
import org.diffusion4j.io.Safetensors;
import org.diffusion4j.nn.FeatureNet;
import org.diffusion4j.nn.FeatureNetConfig;
import org.diffusion4j.nn.Param;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The classifier trainer on slices of Fashion-MNIST with a small network: it learns (the loss
 * falls, the held-out accuracy is far above chance), the same seed gives the same weights bit for
 * bit and another seed others, data that does not fit the network is refused by name, and the
 * saved file records what it was trained on and how well it did.
 */
class ClassifierTrainerTest {
    @TempDir
    Path dir;

    /** The first {@code count} images of a data set, from {@code first}. */
    record Slice(ImageDataset of, int first, int count) implements ImageDataset {
        public int size() {
            return count;
        }

        public int height() {
            return of.height();
        }

        public int width() {
            return of.width();
        }

        public int channels() {
            return of.channels();
        }

        public List<String> classNames() {
            return of.classNames();
        }

        public int label(int index) {
            return of.label(first + index);
        }

        public float[] image(int index) {
            return of.image(first + index);
        }
    }

    private static final FeatureNetConfig SMALL = new FeatureNetConfig(28, 1, new int[] {8, 16, 32}, new int[] {2, 2, 1}, 4,
            10);

    private static List<float[]> weights(FeatureNet net) {
        List<float[]> w = new ArrayList<>();
        for (Param p : net.parameters()) {
            w.add(p.value().toArray());
        }
        return w;
    }

    @Test
    void learnsAndRecordsIt() throws IOException {
        FashionMnist train = FashionMnist.load(FashionMnist.Split.TRAIN);
        FashionMnist test = FashionMnist.load(FashionMnist.Split.TEST);
        ImageDataset few = new Slice(train, 0, 3000);
        ImageDataset held = new Slice(test, 0, 1000);
        List<ClassifierTrainer.Epoch> heard = new ArrayList<>();
        try (Context ctx = Context.create(Device.cpu());
                FeatureNet net = new FeatureNet(ctx, SMALL, 1);
                ClassifierTrainer t = new ClassifierTrainer(ctx, net, new ClassifierTrainer.Config(64, 3e-3f, 0.01f, 20, 3, 1))) {
            double before = ClassifierTrainer.accuracy(ctx, net, held);
            ClassifierTrainer.Summary s = t.fit(few, held, new ClassifierTrainer.Listener() {
                @Override
                public void onEpoch(ClassifierTrainer.Epoch e) {
                    heard.add(e);
                }
            });
            System.out.printf("classifier on 3000 images: accuracy %.3f before, %s%n", before, s.epochs());
            assertEquals(3, s.epochs().size());
            assertEquals(s.epochs(), heard);
            assertEquals(3 * (3000 / 64), t.step());
            assertTrue(s.epochs().get(2).trainLoss() < s.epochs().get(0).trainLoss(), "the loss falls: " + s.epochs());
            assertTrue(s.testAccuracy() > 0.5, "held-out accuracy " + s.testAccuracy() + " (chance 0.1)");
            assertEquals(s.testAccuracy(), ClassifierTrainer.accuracy(ctx, net, held), 0.0, "fit reports accuracy()");
            Path file = dir.resolve("c.safetensors");
            t.save(file, few.classNames(), "3000 Fashion-MNIST training images", s);
            Safetensors.Contents c = Safetensors.read(file);
            assertEquals(Double.toString(s.testAccuracy()), c.metadata().get("test_accuracy"));
            assertEquals(String.join("\n", FashionMnist.CLASSES), c.metadata().get("data.class_names"));
            assertEquals("3000 Fashion-MNIST training images", c.metadata().get("data"));
            assertEquals(Long.toString(t.step()), c.metadata().get("steps"));
            try (FeatureNet back = FeatureNet.load(ctx, file)) {
                assertEquals(s.testAccuracy(), ClassifierTrainer.accuracy(ctx, back, held), 0.0);
            }
        }
    }

    @Test
    void theSeedFixesTheWeights() throws IOException {
        ImageDataset few = new Slice(FashionMnist.load(FashionMnist.Split.TRAIN), 100, 256);
        List<List<float[]>> runs = new ArrayList<>();
        for (long seed : new long[] {5, 5, 6}) {
            try (Context ctx = Context.create(Device.cpu());
                    FeatureNet net = new FeatureNet(ctx, SMALL, seed);
                    ClassifierTrainer t = new ClassifierTrainer(ctx, net, new ClassifierTrainer.Config(32, 1e-3f, 0f, 2, 1, seed))) {
                t.fit(few, new Slice(few, 0, 32), null);
                runs.add(weights(net));
            }
        }
        for (int i = 0; i < runs.get(0).size(); i++) {
            assertArrayEquals(runs.get(0).get(i), runs.get(1).get(i), "tensor " + i + ": the same seed, the same weights");
        }
        assertFalse(Arrays.equals(runs.get(0).get(0), runs.get(2).get(0)), "another seed, other weights");
    }

    @Test
    void refusesDataThatDoesNotFit() throws IOException {
        FashionMnist train = FashionMnist.load(FashionMnist.Split.TRAIN);
        try (Context ctx = Context.create(Device.cpu());
                FeatureNet small = new FeatureNet(ctx, new FeatureNetConfig(32, 1, new int[] {8}, new int[] {1}, 4, 10), 0);
                FeatureNet five = new FeatureNet(ctx, new FeatureNetConfig(28, 1, new int[] {8}, new int[] {1}, 4, 5), 0);
                ClassifierTrainer a = new ClassifierTrainer(ctx, small, ClassifierTrainer.Config.defaults(1, 0));
                ClassifierTrainer b = new ClassifierTrainer(ctx, five, ClassifierTrainer.Config.defaults(1, 0))) {
            IllegalArgumentException size = assertThrows(IllegalArgumentException.class, () -> a.fit(train, train, null));
            assertTrue(size.getMessage().contains("the training images are 28×28×1 but the network takes 32×32×1"),
                    size.getMessage());
            IllegalArgumentException classes = assertThrows(IllegalArgumentException.class, () -> b.fit(train, train, null));
            assertTrue(classes.getMessage().contains("the training data has 10 classes but the network 5"),
                    classes.getMessage());
        }
        IllegalArgumentException lr = assertThrows(IllegalArgumentException.class,
                () -> new ClassifierTrainer.Config(8, Float.NaN, 0f, 0, 1, 0));
        assertTrue(lr.getMessage().contains("learningRate is NaN"), lr.getMessage());
        IllegalArgumentException epochs = assertThrows(IllegalArgumentException.class,
                () -> new ClassifierTrainer.Config(8, 1e-3f, 0f, 0, 0, 0));
        assertTrue(epochs.getMessage().contains("epochs is 0; it must be at least 1"), epochs.getMessage());
    }
}
