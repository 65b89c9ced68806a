package org.diffusion4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.data.FashionMnist;
import org.diffusion4j.diffusion.DdimSampler;
import org.diffusion4j.diffusion.DdpmSampler;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.diffusion.Sampler;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.io.Safetensors;
import org.diffusion4j.nn.Param;
import org.diffusion4j.nn.UNet;
import org.diffusion4j.nn.UNetConfig;

/**
 * {@code d4j sample}: loads a checkpoint written by {@code d4j train} (its EMA weights unless
 * --raw), samples --per-label images for each label with DDIM or DDPM and classifier-free
 * guidance, and writes one PNG per image (label in the name) and a grid with a row per label.
 */
final class SampleCommand {
    private SampleCommand() {}

    static int run(Args a) throws IOException {
        Path ckpt = Path.of(a.get("--checkpoint", "out/fashion-mnist/checkpoint.safetensors"));
        Path out = D4j.outputDir(a.get("--out", "out/fashion-mnist/samples"));
        int perLabel = a.getInt("--per-label", 10);
        double guidance = a.getDouble("--guidance", 2.0);
        long seed = a.getLong("--seed", 0);
        String which = a.get("--sampler", "ddim");
        int[] labels = parseLabels(a.get("--labels", "all"));
        Device device = D4j.parseDevice(a.get("--device", "best"));
        NoiseSchedule schedule = NoiseSchedule.linear(1000);
        Sampler sampler = switch (which) {
            case "ddim" -> new DdimSampler(schedule, a.getInt("--steps", 50), a.getDouble("--eta", 0.0),
                    DdimSampler.Spacing.TRAILING, guidance, true);
            case "ddpm" -> new DdpmSampler(schedule, DdpmSampler.Variance.BETA_TILDE, guidance, true);
            default -> throw new IllegalArgumentException("--sampler " + which + ": expected ddim or ddpm");
        };
        UNetConfig config = UNetConfig.fashionMnist(a.getInt("--base", 32));
        Safetensors.Contents c = Safetensors.read(ckpt);
        if (!config.toString().equals(c.metadata().get("config"))) {
            throw new IOException(ckpt + ": checkpoint of " + c.metadata().get("config") + ", not the Fashion-MNIST preset");
        }
        String prefix = a.flag("--raw") ? "model." : "ema.";
        int n = labels.length * perLabel;
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = labels[i / perLabel];
        }
        System.out.printf("sampling %d images (%d per label) with %s, %s weights, seed %d, from step %s%n", n, perLabel,
                sampler, prefix.equals("ema.") ? "EMA" : "raw", seed, c.metadata().get("step"));
        float[] images;
        try (Context ctx = Context.create(device); UNet net = new UNet(ctx, config)) {
            for (Param p : net.parameters()) {
                Safetensors.Entry e = c.tensors().get(prefix + p.name());
                if (e == null) {
                    throw new IOException(ckpt + ": checkpoint lacks " + prefix + p.name());
                }
                p.value().copyFrom(e.data());
            }
            long t0 = System.nanoTime();
            try (Tensor x = sampler.sample(ctx, net, new int[] {n, 28, 28, 1}, y, seed,
                    a.flag("--quiet") ? null : (step, steps, t, xs) -> {
                        if (step % 10 == 0 || step == steps) {
                            System.out.printf("  step %d/%d (t = %d)%n", step, steps, t);
                        }
                        return true;
                    })) {
                images = x.toArray();
            }
            System.out.printf("sampled in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        }
        for (int i = 0; i < n; i++) {
            String cls = FashionMnist.CLASSES.get(y[i]).replaceAll("[^A-Za-z]+", "-").toLowerCase();
            ImageGrid.writePng(out.resolve(String.format("sample-%03d-label-%d-%s.png", i, y[i], cls)),
                    Arrays.copyOfRange(images, i * 784, (i + 1) * 784), 1, 28, 28, 1, 1, 2);
        }
        Path grid = out.resolve("grid.png");
        ImageGrid.writePng(grid, images, n, 28, 28, 1, perLabel, 2);
        System.out.println("rows: " + Arrays.stream(labels).mapToObj(FashionMnist.CLASSES::get).toList());
        System.out.println("wrote " + n + " images and " + grid.toAbsolutePath());
        return 0;
    }

    private static int[] parseLabels(String s) {
        if (s.equals("all")) {
            return java.util.stream.IntStream.range(0, FashionMnist.CLASSES.size()).toArray();
        }
        int[] l = Arrays.stream(s.split(",")).mapToInt(v -> {
            try {
                return Integer.parseInt(v.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--labels " + s + ": expected all or numbers like 0,3,9");
            }
        }).toArray();
        for (int v : l) {
            if (v < 0 || v >= FashionMnist.CLASSES.size()) {
                throw new IllegalArgumentException("--labels: " + v + " is not a Fashion-MNIST class (0..9)");
            }
        }
        return l;
    }
}
