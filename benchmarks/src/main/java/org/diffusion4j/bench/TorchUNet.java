package org.diffusion4j.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.AbstractTensor;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.diffusion4j.nn.Param;
import org.diffusion4j.nn.UNet;
import org.diffusion4j.nn.UNetConfig;

/**
 * Our {@link UNet} written again against libtorch's functional API — the twin the whole-step
 * benchmarks time beside ours. It takes every parameter from a UNet (copied, transposed to
 * libtorch's layouts: convolutions (Cout, Cin, K, K), linear layers (N, K)), so both compute the
 * same function; {@link UNetStepReport} checks that before timing. Images are NCHW, optionally
 * in the channels-last memory format (the weights then too).
 */
final class TorchUNet {
    private final UNetConfig config;
    private final Map<String, Tensor> params = new LinkedHashMap<>();
    private final boolean channelsLast;

    TorchUNet(UNet net, boolean channelsLast) {
        this.config = net.config();
        this.channelsLast = channelsLast;
        for (Param p : net.parameters()) {
            int[] s = p.value().shape();
            long[] shape = java.util.Arrays.stream(s).asLongStream().toArray();
            Tensor t = AbstractTensor.create(p.value().toArray(), shape);
            if (s.length == 4) {
                t = t.permute(3, 2, 0, 1); // (K, K, Cin, Cout) → (Cout, Cin, K, K)
                t = channelsLast ? t.contiguous(torch.MemoryFormat.ChannelsLast) : t.contiguous();
            } else if (s.length == 2) {
                t = t.t().contiguous(); // (K, N) → (N, K)
            }
            params.put(p.name(), t.set_requires_grad(true));
        }
    }

    /** The parameters in {@link UNet#parameters()} order. */
    List<Tensor> parameters() {
        return new ArrayList<>(params.values());
    }

    /** Adds delta to every element of parameter {@code name} (to show a check notices a changed network). */
    void nudge(String name, double delta) {
        try (org.bytedeco.pytorch.NoGradGuard g = new org.bytedeco.pytorch.NoGradGuard()) {
            p(name).add_(scalar(delta));
        }
    }

    /** x (N, C, S, S) in the twin's memory format; labels null or entries equal to classes: the null class. */
    Tensor forward(Tensor x, int[] t, int[] labels) {
        int n = t.length;
        Tensor emb = linear("time.2", torch.silu(linear("time.1", timestepEmbedding(t))));
        if (config.classes() > 0) {
            float[] onehot = new float[n * (config.classes() + 1)];
            for (int i = 0; i < n; i++) {
                onehot[i * (config.classes() + 1) + (labels == null ? config.classes() : labels[i])] = 1f;
            }
            emb = emb.add(torch.linear(AbstractTensor.create(onehot, n, config.classes() + 1), p("class.weight")));
        }
        List<Tensor> skips = new ArrayList<>();
        Tensor h = conv("in", x, 1, 1);
        skips.add(h);
        int[] mult = config.multipliers();
        int res = config.imageSize();
        for (int level = 0; level < mult.length; level++) {
            for (int r = 0; r < config.resBlocks(); r++) {
                h = resBlock("down." + level + ".res" + r, h, emb);
                if (attentionAt(res)) {
                    h = attention("down." + level + ".attn" + r, h);
                }
                skips.add(h);
            }
            if (level + 1 < mult.length) {
                h = conv("down." + level + ".downsample", h, 2, 1);
                skips.add(h);
                res /= 2;
            }
        }
        h = resBlock("mid.res2", attention("mid.attn", resBlock("mid.res1", h, emb)), emb);
        for (int level = mult.length - 1; level >= 0; level--) {
            for (int r = 0; r <= config.resBlocks(); r++) {
                h = resBlock("up." + level + ".res" + r, torch.cat(new TensorVector(h, skips.remove(skips.size() - 1)), 1), emb);
                if (attentionAt(res)) {
                    h = attention("up." + level + ".attn" + r, h);
                }
            }
            if (level > 0) {
                h = conv("up." + level + ".upsample", torch.upsample_nearest2d(h, 2 * h.size(2), 2 * h.size(3)), 1, 1);
                res *= 2;
            }
        }
        return conv("out.conv", norm("out.norm", h, true), 1, 1);
    }

    private boolean attentionAt(int res) {
        return java.util.Arrays.stream(config.attentionResolutions()).anyMatch(r -> r == res);
    }

    /** DDPM's residual block, as {@link org.diffusion4j.nn.ResBlock} (dropout off). */
    private Tensor resBlock(String name, Tensor x, Tensor emb) {
        Tensor h = conv(name + ".conv1", norm(name + ".norm1", x, true), 1, 1);
        h = h.add(linear(name + ".emb", torch.silu(emb)).unsqueeze(2).unsqueeze(3));
        h = conv(name + ".conv2", norm(name + ".norm2", h, true), 1, 1);
        return h.add(params.containsKey(name + ".skip.weight") ? conv(name + ".skip", x, 1, 0) : x);
    }

    /** x + proj(attention(qkv(GN(x)))), the channels of qkv packed [q | k | v], head h taking [hD, (h+1)D) of each. */
    private Tensor attention(String name, Tensor x) {
        long n = x.size(0);
        long c = x.size(1);
        long l = x.size(2) * x.size(3);
        long heads = config.heads();
        Tensor tokens = norm(name + ".norm", x, false).reshape(n, c, l).transpose(1, 2); // (N, L, C)
        Tensor qkv = linear(name + ".qkv", tokens); // (N, L, 3C)
        Tensor[] qkvHeads = new Tensor[3];
        for (int i = 0; i < 3; i++) {
            qkvHeads[i] = qkv.narrow(2, i * c, c).reshape(n, l, heads, c / heads).transpose(1, 2); // (N, heads, L, D)
        }
        Tensor a = torch.scaled_dot_product_attention(qkvHeads[0], qkvHeads[1], qkvHeads[2]).transpose(1, 2).reshape(n, l, c);
        Tensor out = linear(name + ".proj", a).transpose(1, 2).reshape(n, c, x.size(2), x.size(3));
        return x.add(channelsLast ? out.contiguous(torch.MemoryFormat.ChannelsLast) : out);
    }

    private Tensor conv(String name, Tensor x, long stride, long pad) {
        return torch.conv2d(x, p(name + ".weight"), new TensorOptional(p(name + ".bias")), new long[] {stride, stride},
                new long[] {pad, pad}, new long[] {1, 1}, 1);
    }

    private Tensor norm(String name, Tensor x, boolean silu) {
        Tensor y = torch.group_norm(x, config.groups(), new TensorOptional(p(name + ".gamma")),
                new TensorOptional(p(name + ".beta")), 1e-5, true);
        return silu ? torch.silu(y) : y;
    }

    private Tensor linear(String name, Tensor x) {
        Tensor b = params.get(name + ".bias");
        return b == null ? torch.linear(x, p(name + ".weight")) : torch.linear(x, p(name + ".weight"), new TensorOptional(b));
    }

    private Tensor p(String name) {
        Tensor t = params.get(name);
        if (t == null) {
            throw new IllegalStateException("the twin has no parameter " + name);
        }
        return t;
    }

    /** improved-diffusion's sinusoidal embedding of width base: [cos(t f_i), sin(t f_i)], f_i = 10000^(−i/half). */
    private Tensor timestepEmbedding(int[] t) {
        int half = config.baseChannels() / 2;
        float[] e = new float[t.length * 2 * half];
        for (int n = 0; n < t.length; n++) {
            for (int i = 0; i < half; i++) {
                double arg = t[n] * Math.exp(-Math.log(10000.0) * i / half);
                e[n * 2 * half + i] = (float) Math.cos(arg);
                e[n * 2 * half + half + i] = (float) Math.sin(arg);
            }
        }
        return AbstractTensor.create(e, t.length, 2L * half);
    }

    static Scalar scalar(double v) {
        return new Scalar(v);
    }
}
