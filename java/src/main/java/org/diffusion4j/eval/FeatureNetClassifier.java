package org.diffusion4j.eval;

import java.util.List;
import java.util.Objects;
import org.diffusion4j.Context;
import org.diffusion4j.Tensor;
import org.diffusion4j.nn.FeatureNet;

/** A {@link FeatureNet} as the evaluation suite's classifier: its pooled penultimate features and its verdict. */
public final class FeatureNetClassifier implements ImageClassifier {
    private final FeatureNet net;
    private final List<String> classNames;

    public FeatureNetClassifier(FeatureNet net, List<String> classNames) {
        this.net = Objects.requireNonNull(net, "net");
        this.classNames = List.copyOf(classNames);
    }

    @Override
    public int[] imageShape() {
        return new int[] {net.config().imageSize(), net.config().imageSize(), net.config().channels()};
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public float[][] features(Context ctx, Tensor images) {
        return net.features(ctx, images);
    }

    @Override
    public int[] predict(Context ctx, Tensor images) {
        return net.predict(ctx, images);
    }
}
