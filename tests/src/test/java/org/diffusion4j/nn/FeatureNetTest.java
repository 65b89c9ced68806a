package org.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.AbstractTensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.io.Safetensors;
import org.diffusion4j.ops.SoftmaxCrossEntropy;
import org.diffusion4j.testing.TestData;
import org.diffusion4j.testing.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The feature network against the same network built in libtorch (float64, autograd) from its
 * weights: logits, features, the cross-entropy and every parameter's gradient; features, logits
 * and predictions agree with one another; images of the wrong size are refused; weights files
 * round-trip bit for bit and bad ones are named.
 */
class FeatureNetTest {
    @TempDir
    Path dir;

    private static FeatureNetConfig config(String which) {
        return switch (which) {
            case "fashion-mnist" -> FeatureNetConfig.fashionMnist();
            case "rgb" -> new FeatureNetConfig(12, 3, new int[] {8, 16, 16}, new int[] {2, 1, 2}, 4, 5);
            default -> new FeatureNetConfig(9, 1, new int[] {4, 8}, new int[] {1, 2}, 2, 3);
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny", "rgb", "fashion-mnist"})
    void matchesLibtorch(String which) {
        FeatureNetConfig c = config(which);
        int n = 3;
        int s = c.imageSize();
        float[] x = TestData.random(11, n * s * s * c.channels(), 1f);
        int[] labels = {0, c.classes() - 1, 1};
        try (Context ctx = Context.create(Device.cpu());
                FeatureNet net = new FeatureNet(ctx, c, 7);
                Tensor images = Tensor.of(ctx, x, n, s, s, c.channels());
                Tensor loss = Tensor.empty(ctx, 1).fill(Float.NaN);
                Tensor dLogits = Tensor.empty(ctx, n, c.classes()).fill(Float.NaN)) {
            for (Param p : net.parameters()) { // non-trivial GroupNorm affine parameters too
                if (p.name().endsWith("gamma") || p.name().endsWith("beta")) {
                    float[] v = TestData.random(p.name().hashCode(), (int) p.value().numel(), 0.5f);
                    for (int i = 0; i < v.length; i++) {
                        v[i] += p.name().endsWith("gamma") ? 1f : 0f;
                    }
                    p.value().copyFrom(v);
                }
            }
            float[][] features = net.features(ctx, images);
            net.zeroGrad();
            Tensor logits = net.forward(ctx, images);
            float[] ours = logits.toArray();
            SoftmaxCrossEntropy.forward(ctx, loss, dLogits, logits, labels);
            net.backward(ctx, dLogits);

            Map<String, org.bytedeco.pytorch.Tensor> w = new HashMap<>();
            for (Param p : net.parameters()) {
                org.bytedeco.pytorch.Tensor t = Torch.tensor(p.value().toArray(), longs(p.value().shape()))
                        .to(torch.ScalarType.Double);
                if (p.name().endsWith(".weight") && p.value().ndim() == 4) {
                    t = t.permute(3, 2, 0, 1).contiguous(); // (K, K, Cin, Cout) -> (Cout, Cin, K, K)
                } else if (p.name().equals("head.weight")) {
                    t = t.t().contiguous(); // (D, K) -> (K, D)
                }
                w.put(p.name(), t.set_requires_grad(true));
            }
            org.bytedeco.pytorch.Tensor h = Torch.nchw(x, n, s, s, c.channels()).to(torch.ScalarType.Double);
            int[] strides = c.strides();
            for (int i = 0; i < strides.length; i++) {
                h = torch.conv2d(h, w.get("conv" + i + ".weight"), new TensorOptional(w.get("conv" + i + ".bias")),
                        new long[] {strides[i], strides[i]}, new long[] {1, 1}, new long[] {1, 1}, 1);
                h = torch.silu(torch.group_norm(h, c.groups(), new TensorOptional(w.get("norm" + i + ".gamma")),
                        new TensorOptional(w.get("norm" + i + ".beta")), 1e-5, false));
            }
            org.bytedeco.pytorch.Tensor f = torch.adaptive_avg_pool2d(h, 1, 1).reshape(n, c.featureDim());
            org.bytedeco.pytorch.Tensor rl = torch.linear(f, w.get("head.weight"), new TensorOptional(w.get("head.bias")));
            long[] yl = {labels[0], labels[1], labels[2]};
            org.bytedeco.pytorch.Tensor ce = torch.cross_entropy_loss(rl, AbstractTensor.create(yl, n));
            ce.backward();

            double el = Torch.relativeError(ours, Torch.array(rl.to(torch.ScalarType.Float)));
            double ef = Torch.relativeError(flat(features), Torch.array(f.to(torch.ScalarType.Float)));
            double eloss = Math.abs(loss.toArray()[0] - ce.item_double()) / ce.item_double();
            double worst = 0;
            String worstName = "";
            for (Param p : net.parameters()) {
                org.bytedeco.pytorch.Tensor g = w.get(p.name()).grad();
                if (p.value().ndim() == 4) {
                    g = g.permute(2, 3, 1, 0);
                } else if (p.name().equals("head.weight")) {
                    g = g.t();
                }
                double e = Torch.relativeError(p.grad().toArray(), Torch.array(g.to(torch.ScalarType.Float)));
                if (e > worst) {
                    worst = e;
                    worstName = p.name();
                }
            }
            System.out.printf("feature net %s: logits %.2e, features %.2e, loss %.2e, worst gradient %.2e (%s)%n", which,
                    el, ef, eloss, worst, worstName);
            assertTrue(el < 1e-5, "logits relative error " + el);
            assertTrue(ef < 1e-5, "features relative error " + ef);
            assertTrue(eloss < 1e-5, "loss relative error " + eloss);
            assertTrue(worst < 1e-4, "gradient of " + worstName + ": relative error " + worst);
        }
    }

    private static long[] longs(int[] shape) {
        long[] out = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            out[i] = shape[i];
        }
        return out;
    }

    private static float[] flat(float[][] rows) {
        int d = rows[0].length;
        float[] out = new float[rows.length * d];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, out, i * d, d);
        }
        return out;
    }

    @Test
    void featuresLogitsAndPredictionsAgree() {
        FeatureNetConfig c = config("rgb");
        int n = 6;
        try (Context ctx = Context.create(Device.cpu());
                FeatureNet net = new FeatureNet(ctx, c, 3);
                Tensor images = Tensor.of(ctx, TestData.random(5, n * 12 * 12 * 3, 1f), n, 12, 12, 3)) {
            float[][] f = net.features(ctx, images);
            float[][] logits = net.logits(ctx, images);
            int[] predicted = net.predict(ctx, images);
            assertEquals(n, f.length);
            assertEquals(c.featureDim(), f[0].length);
            assertEquals(c.classes(), logits[0].length);
            for (int i = 0; i < n; i++) {
                int best = 0;
                for (int k = 0; k < c.classes(); k++) {
                    best = logits[i][k] > logits[i][best] ? k : best;
                }
                assertEquals(best, predicted[i], "image " + i + ": prediction is the argmax of the logits");
            }
            assertArrayEquals(f[2], net.features(ctx, images)[2], "features are a function of the image");
        }
    }

    @Test
    void imagesOfAnotherSizeAreRefused() {
        try (Context ctx = Context.create(Device.cpu());
                FeatureNet net = new FeatureNet(ctx, FeatureNetConfig.fashionMnist(), 0);
                Tensor wrong = Tensor.zeros(ctx, 2, 32, 32, 1);
                Tensor rgb = Tensor.zeros(ctx, 2, 28, 28, 3)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.features(ctx, wrong));
            assertTrue(e.getMessage().contains("images has shape [2, 32, 32, 1]; the feature network takes (N, 28, 28, 1)"),
                    e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> net.predict(ctx, rgb));
            IllegalStateException b = assertThrows(IllegalStateException.class, () -> {
                try (Context other = Context.create(Device.cpu()); Tensor d = Tensor.zeros(other, 2, 10)) {
                    net.backward(other, d);
                }
            });
            assertTrue(b.getMessage().contains("backward on a context that ran no forward pass"), b.getMessage());
        }
    }

    @Test
    void configurationsAreBounded() {
        IllegalArgumentException groups = assertThrows(IllegalArgumentException.class,
                () -> new FeatureNetConfig(28, 1, new int[] {30}, new int[] {1}, 8, 10));
        assertTrue(groups.getMessage().contains("widths[0] = 30 channels do not split into 8 groups"), groups.getMessage());
        IllegalArgumentException stride = assertThrows(IllegalArgumentException.class,
                () -> new FeatureNetConfig(28, 1, new int[] {8}, new int[] {3}, 8, 10));
        assertTrue(stride.getMessage().contains("strides[0] is 3; it must be 1 to 2"), stride.getMessage());
        Map<String, String> m = new HashMap<>(FeatureNetConfig.fashionMnist().toMetadata());
        assertEquals(FeatureNetConfig.fashionMnist().toMetadata(), FeatureNetConfig.fromMetadata(m).toMetadata());
        m.put("featurenet.classes", "1");
        IllegalArgumentException classes = assertThrows(IllegalArgumentException.class, () -> FeatureNetConfig.fromMetadata(m));
        assertTrue(classes.getMessage().contains("classes is 1; it must be 2 to 100000"), classes.getMessage());
        m.remove("featurenet.widths");
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> FeatureNetConfig.fromMetadata(m));
        assertTrue(missing.getMessage().contains("lacks \"featurenet.widths\""), missing.getMessage());
    }

    @Test
    void weightsRoundTripAndBadFilesAreNamed() throws IOException {
        FeatureNetConfig c = config("tiny");
        Path file = dir.resolve("net.safetensors");
        try (Context ctx = Context.create(Device.cpu());
                FeatureNet net = new FeatureNet(ctx, c, 21);
                Tensor images = Tensor.of(ctx, TestData.random(8, 4 * 81, 1f), 4, 9, 9, 1)) {
            net.save(file, Map.of("data.class_names", "a\nb\nc"));
            try (FeatureNet back = FeatureNet.load(ctx, file)) {
                assertEquals(c.toMetadata(), back.config().toMetadata());
                assertEquals("a\nb\nc", back.metadata().get("data.class_names"));
                float[][] a = net.logits(ctx, images);
                float[][] b = back.logits(ctx, images);
                for (int i = 0; i < a.length; i++) {
                    assertArrayEquals(a[i], b[i], "logits of a reloaded network, image " + i);
                }
            }
            assertThrows(IllegalArgumentException.class, () -> net.save(file, Map.of("format", "x")));
            Safetensors.Contents contents = Safetensors.read(file);
            Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>(contents.tensors());
            Safetensors.Entry w = tensors.get("head.weight");
            float[] bad = w.data().clone();
            bad[3] = Float.NaN;
            tensors.put("head.weight", new Safetensors.Entry(w.shape(), bad));
            Path nan = dir.resolve("nan.safetensors");
            Safetensors.write(nan, tensors, contents.metadata());
            IOException e1 = assertThrows(IOException.class, () -> FeatureNet.load(ctx, nan));
            assertTrue(e1.getMessage().contains("tensor \"head.weight\" holds NaN"), e1.getMessage());
            tensors.remove("head.weight");
            Path missing = dir.resolve("missing.safetensors");
            Safetensors.write(missing, tensors, contents.metadata());
            IOException e2 = assertThrows(IOException.class, () -> FeatureNet.load(ctx, missing));
            assertTrue(e2.getMessage().contains("lacks tensor \"head.weight\""), e2.getMessage());
            Map<String, String> meta = new HashMap<>(contents.metadata());
            meta.put("format", "diffusion4j");
            Path other = dir.resolve("other.safetensors");
            Safetensors.write(other, contents.tensors(), meta);
            IOException e3 = assertThrows(IOException.class, () -> FeatureNet.load(ctx, other));
            assertTrue(e3.getMessage().contains("not a feature network (format diffusion4j"), e3.getMessage());
            assertEquals(1, List.of(e1, e2, e3).stream().filter(e -> e.getMessage().contains("missing.safetensors")).count());
        }
    }
}
