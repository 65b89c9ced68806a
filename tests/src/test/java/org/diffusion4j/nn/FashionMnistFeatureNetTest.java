package org.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.data.FashionMnist;
import org.diffusion4j.train.ClassifierTrainer;
import org.junit.jupiter.api.Test;

/**
 * The Fashion-MNIST feature network committed in the library's resources: its accuracy on the
 * real 10 000-image test set is at least 0.90 and equals what its metadata records (one forward
 * pass over the test set), and the check has teeth: the same network with its last layer zeroed
 * fails it.
 */
class FashionMnistFeatureNetTest {
    static final double REQUIRED = 0.90;

    @Test
    void theCommittedNetworkClassifiesTheTestSet() throws IOException {
        FashionMnist test = FashionMnist.load(FashionMnist.Split.TEST);
        try (Context ctx = Context.create(Device.cpu()); FeatureNet net = FeatureNet.fashionMnist(ctx)) {
            assertEquals(FeatureNetConfig.fashionMnist().toMetadata(), net.config().toMetadata());
            assertEquals(String.join("\n", FashionMnist.CLASSES), net.metadata().get("data.class_names"));
            assertEquals(128, net.featureDim());
            long start = System.nanoTime();
            double accuracy = ClassifierTrainer.accuracy(ctx, net, test);
            double recorded = Double.parseDouble(net.metadata().get("test_accuracy"));
            System.out.printf("committed Fashion-MNIST feature network: test accuracy %.4f (recorded %.4f), %.1f s%n",
                    accuracy, recorded, (System.nanoTime() - start) / 1e9);
            assertTrue(accuracy >= REQUIRED, "test accuracy " + accuracy + " < " + REQUIRED);
            assertEquals(recorded, accuracy, 0.002, "the accuracy recorded in the file");

            for (Param p : net.parameters()) {
                if (p.name().startsWith("head.")) {
                    p.value().fill(0f); // every logit 0: one class predicted for every image
                }
            }
            double broken = ClassifierTrainer.accuracy(ctx, net, test);
            System.out.printf("  with its last layer zeroed: %.4f%n", broken);
            assertFalse(broken >= REQUIRED, "a zeroed last layer must fail the check: " + broken);
        }
    }
}
