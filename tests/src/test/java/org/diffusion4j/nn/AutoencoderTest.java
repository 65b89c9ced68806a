package org.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.testing.TestData;
import org.diffusion4j.testing.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The autoencoder's encoder and decoder against the same networks built in libtorch (float64,
 * autograd) from their weights, every parameter random (GroupNorm affine and the zero-initialised
 * convolutions included): outputs, ∂L/∂input and every parameter's gradient for L = Σ out·R with
 * R random. Tolerances as for the U-Net's modules: 1e-5 forward, 1e-4 gradients (float32 sums).
 */
class AutoencoderTest {
    static AutoencoderConfig config(String which) {
        return switch (which) {
            case "fashion-mnist" -> AutoencoderConfig.fashionMnist();
            case "rgb" -> new AutoencoderConfig(12, 3, 6, new int[] {1, 2, 1}, 2, 2, 3);
            default -> new AutoencoderConfig(8, 2, 4, new int[] {1, 2}, 1, 3, 2);
        };
    }

    private static void randomise(Module m) {
        for (Param p : m.parameters()) {
            float[] v = TestData.random(p.name().hashCode(), (int) p.value().numel(), 0.3f);
            if (p.name().endsWith("gamma")) {
                for (int i = 0; i < v.length; i++) {
                    v[i] += 1f;
                }
            }
            p.value().copyFrom(v);
        }
    }

    /** libtorch weights (convolutions as (Cout, Cin, K, K)), float64, requiring gradients. */
    private static Map<String, org.bytedeco.pytorch.Tensor> torchWeights(Module m) {
        Map<String, org.bytedeco.pytorch.Tensor> w = new HashMap<>();
        for (Param p : m.parameters()) {
            int[] s = p.value().shape();
            long[] shape = new long[s.length];
            for (int i = 0; i < s.length; i++) {
                shape[i] = s[i];
            }
            org.bytedeco.pytorch.Tensor t = Torch.tensor(p.value().toArray(), shape).to(torch.ScalarType.Double);
            if (s.length == 4) {
                t = t.permute(3, 2, 0, 1).contiguous();
            }
            w.put(p.name(), t.set_requires_grad(true));
        }
        return w;
    }

    private static org.bytedeco.pytorch.Tensor conv(Map<String, org.bytedeco.pytorch.Tensor> w, String name,
            org.bytedeco.pytorch.Tensor h, int stride) {
        org.bytedeco.pytorch.Tensor k = w.get(name + ".weight");
        long pad = k.size(2) / 2;
        return torch.conv2d(h, k, new TensorOptional(w.get(name + ".bias")), new long[] {stride, stride},
                new long[] {pad, pad}, new long[] {1, 1}, 1);
    }

    private static org.bytedeco.pytorch.Tensor normSilu(Map<String, org.bytedeco.pytorch.Tensor> w, String name,
            org.bytedeco.pytorch.Tensor h, int groups) {
        return torch.silu(torch.group_norm(h, groups, new TensorOptional(w.get(name + ".gamma")),
                new TensorOptional(w.get(name + ".beta")), 1e-5, false));
    }

    private static org.bytedeco.pytorch.Tensor res(Map<String, org.bytedeco.pytorch.Tensor> w, String name,
            org.bytedeco.pytorch.Tensor x, int groups) {
        org.bytedeco.pytorch.Tensor h = conv(w, name + ".conv1", normSilu(w, name + ".norm1", x, groups), 1);
        h = conv(w, name + ".conv2", normSilu(w, name + ".norm2", h, groups), 1);
        return (w.containsKey(name + ".skip.weight") ? conv(w, name + ".skip", x, 1) : x).add(h);
    }

    private static org.bytedeco.pytorch.Tensor torchEncoder(Map<String, org.bytedeco.pytorch.Tensor> w,
            AutoencoderConfig c, org.bytedeco.pytorch.Tensor x) {
        org.bytedeco.pytorch.Tensor h = conv(w, "enc.conv_in", x, 1);
        for (int level = 0; level < c.multipliers().length; level++) {
            for (int r = 0; r < c.resBlocks(); r++) {
                h = res(w, "enc.down." + level + ".res" + r, h, c.groups());
            }
            if (level + 1 < c.multipliers().length) {
                h = conv(w, "enc.down." + level + ".downsample", h, 2);
            }
        }
        h = res(w, "enc.mid.res", h, c.groups());
        return conv(w, "enc.out.conv", normSilu(w, "enc.out.norm", h, c.groups()), 1);
    }

    private static org.bytedeco.pytorch.Tensor torchDecoder(Map<String, org.bytedeco.pytorch.Tensor> w,
            AutoencoderConfig c, org.bytedeco.pytorch.Tensor z) {
        org.bytedeco.pytorch.Tensor h = res(w, "dec.mid.res", conv(w, "dec.conv_in", z, 1), c.groups());
        for (int level = c.multipliers().length - 1; level >= 0; level--) {
            for (int r = 0; r < c.resBlocks(); r++) {
                h = res(w, "dec.up." + level + ".res" + r, h, c.groups());
            }
            if (level > 0) {
                h = conv(w, "dec.up." + level + ".upsample", torch.upsample_nearest2d(h, 2 * h.size(2), 2 * h.size(3)), 1);
            }
        }
        return conv(w, "dec.out.conv", normSilu(w, "dec.out.norm", h, c.groups()), 1);
    }

    private static double worstGradient(Module m, Map<String, org.bytedeco.pytorch.Tensor> w, StringBuilder which) {
        double worst = 0;
        for (Param p : m.parameters()) {
            org.bytedeco.pytorch.Tensor g = w.get(p.name()).grad();
            if (p.value().ndim() == 4) {
                g = g.permute(2, 3, 1, 0);
            }
            double e = Torch.relativeError(p.grad().toArray(), Torch.array(g.to(torch.ScalarType.Float)));
            if (e > worst) {
                worst = e;
                which.setLength(0);
                which.append(p.name());
            }
        }
        return worst;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny", "rgb", "fashion-mnist"})
    void encoderAndDecoderMatchLibtorch(String which) {
        AutoencoderConfig c = config(which);
        int n = 2;
        int s = c.imageSize();
        int[] xs = {n, s, s, c.channels()};
        int[] ms = c.momentsShape(n);
        int[] zs = c.latentShape(n);
        float[] x = TestData.random(21, TestData.numel(xs), 1f);
        float[] z = TestData.random(22, TestData.numel(zs), 1f);
        float[] rm = TestData.random(23, TestData.numel(ms), 1f);
        float[] ry = TestData.random(24, TestData.numel(xs), 1f);
        try (Context ctx = Context.create(Device.cpu()); AutoencoderEncoder enc = new AutoencoderEncoder(ctx, "enc", c);
                AutoencoderDecoder dec = new AutoencoderDecoder(ctx, "dec", c); Tensor tx = Tensor.of(ctx, x, xs);
                Tensor tz = Tensor.of(ctx, z, zs); Tensor tr = Tensor.of(ctx, rm, ms); Tensor ty = Tensor.of(ctx, ry, xs)) {
            randomise(enc);
            randomise(dec);
            enc.zeroGrad();
            dec.zeroGrad();
            float[] moments = enc.forward(ctx, tx).toArray();
            float[] dx = enc.backward(ctx, tr).toArray();
            float[] images = dec.forward(ctx, tz).toArray();
            float[] dz = dec.backward(ctx, ty).toArray();

            Map<String, org.bytedeco.pytorch.Tensor> w = torchWeights(enc);
            w.putAll(torchWeights(dec));
            org.bytedeco.pytorch.Tensor rx = Torch.nchw(x, n, s, s, c.channels()).to(torch.ScalarType.Double)
                    .set_requires_grad(true);
            org.bytedeco.pytorch.Tensor rz = Torch.nchw(z, n, zs[1], zs[2], zs[3]).to(torch.ScalarType.Double)
                    .set_requires_grad(true);
            org.bytedeco.pytorch.Tensor tm = torchEncoder(w, c, rx);
            org.bytedeco.pytorch.Tensor timg = torchDecoder(w, c, rz);
            tm.mul(Torch.nchw(rm, n, ms[1], ms[2], ms[3]).to(torch.ScalarType.Double)).sum()
                    .add(timg.mul(Torch.nchw(ry, n, s, s, c.channels()).to(torch.ScalarType.Double)).sum()).backward();

            double em = Torch.relativeError(moments, Torch.nhwc(tm.to(torch.ScalarType.Float)));
            double ei = Torch.relativeError(images, Torch.nhwc(timg.to(torch.ScalarType.Float)));
            double edx = Torch.relativeError(dx, Torch.nhwc(rx.grad().to(torch.ScalarType.Float)));
            double edz = Torch.relativeError(dz, Torch.nhwc(rz.grad().to(torch.ScalarType.Float)));
            StringBuilder we = new StringBuilder();
            StringBuilder wd = new StringBuilder();
            double ge = worstGradient(enc, w, we);
            double gd = worstGradient(dec, w, wd);
            System.out.printf("autoencoder %s: moments %.2e, images %.2e, dx %.2e, dz %.2e, worst gradient %.2e (%s), "
                    + "%.2e (%s)%n", which, em, ei, edx, edz, ge, we, gd, wd);
            assertTrue(em < 1e-5 && ei < 1e-5, "forward relative errors " + em + ", " + ei);
            assertTrue(edx < 1e-4 && edz < 1e-4, "input gradients " + edx + ", " + edz);
            assertTrue(ge < 1e-4, "encoder gradient of " + we + ": " + ge);
            assertTrue(gd < 1e-4, "decoder gradient of " + wd + ": " + gd);
            // backwardWeights: the same parameter gradients, bit for bit, without the images' gradient
            float[][] grads = new float[enc.parameters().size()][];
            for (int i = 0; i < grads.length; i++) {
                grads[i] = enc.parameters().get(i).grad().toArray();
            }
            enc.zeroGrad();
            enc.forward(ctx, tx);
            enc.backwardWeights(ctx, tr);
            for (int i = 0; i < grads.length; i++) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(grads[i], enc.parameters().get(i).grad().toArray(),
                        enc.parameters().get(i).name());
            }
        }
    }

    @Test
    void configurationRoundTripsAndRefusesBadShapes() {
        AutoencoderConfig c = AutoencoderConfig.fashionMnist();
        assertEquals(c, AutoencoderConfig.fromMetadata(c.toMetadata()));
        assertEquals(7, c.latentSize());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new AutoencoderConfig(28, 1, 32, new int[] {1, 2, 2, 2}, 1, 4, 8));
        assertTrue(e.getMessage().contains("7"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new AutoencoderConfig(28, 1, 30, new int[] {1}, 1, 4, 8));
        assertTrue(e.getMessage().contains("8 groups"), e.getMessage());
        Map<String, String> bad = new HashMap<>(c.toMetadata());
        bad.put("autoencoder.latent_channels", "four");
        e = assertThrows(IllegalArgumentException.class, () -> AutoencoderConfig.fromMetadata(bad));
        assertTrue(e.getMessage().contains("four"), e.getMessage());
        bad.remove("autoencoder.latent_channels");
        e = assertThrows(IllegalArgumentException.class, () -> AutoencoderConfig.fromMetadata(bad));
        assertTrue(e.getMessage().contains("autoencoder.latent_channels"), e.getMessage());
    }
}
