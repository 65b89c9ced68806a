package org.diffusion4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.data.FashionMnist;
import org.diffusion4j.diffusion.DdimSampler;
import org.diffusion4j.diffusion.DdpmSampler;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.diffusion.Sampler;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.nn.UNet;
import org.diffusion4j.nn.UNetConfig;
import org.diffusion4j.train.Checkpoint;

/**
 * {@code d4j sample}: loads a checkpoint written by {@code d4j train} (its EMA weights unless
 * --raw) into the U-Net its metadata describes, samples --per-label images for each label (or
 * --count images from an unconditional model) with DDIM or DDPM and classifier-free
 * guidance, and writes one PNG per image (label in the name) and a grid with a row per label.
 */
final class SampleCommand {
    private SampleCommand() {}

    static int run(Args a) throws IOException {
        Path ckpt = Path.of(a.get("--checkpoint", "out/fashion-mnist/checkpoint.safetensors"));
        Path out = D4j.outputDir(a.get("--out", "out/fashion-mnist/samples"));
        double guidance = a.getDouble("--guidance", 3.0);
        long seed = a.getLong("--seed", 0);
        String which = a.get("--sampler", "ddim");
        Device device = D4j.parseDevice(a.get("--device", "best"));
        Checkpoint checkpoint = Checkpoint.read(ckpt);
        NoiseSchedule schedule = NoiseSchedule.linear(checkpoint.timesteps());
        Sampler sampler = switch (which) {
            case "ddim" -> new DdimSampler(schedule, a.getInt("--steps", 50), a.getDouble("--eta", 0.0),
                    DdimSampler.Spacing.TRAILING, guidance, true);
            case "ddpm" -> new DdpmSampler(schedule, DdpmSampler.Variance.BETA_TILDE, guidance, true);
            default -> throw new IllegalArgumentException("--sampler " + which + ": expected ddim or ddpm");
        };
        UNetConfig config = checkpoint.config();
        List<String> names = className(checkpoint, config);
        boolean ema = !a.flag("--raw");
        int[] labels = config.classes() == 0 ? null : parseLabels(a.get("--labels", "all"), config.classes());
        if (config.classes() == 0 && a.get("--labels", null) != null) {
            throw new IllegalArgumentException("--labels: this checkpoint is unconditional (no classes); use --count");
        }
        int perLabel = a.getInt("--per-label", 10);
        int n = labels == null ? a.getInt("--count", 16) : labels.length * perLabel;
        if (perLabel < 1 || n < 1) {
            throw new IllegalArgumentException("--per-label " + perLabel + " / --count " + n + ": must be >= 1");
        }
        int[] y = null;
        if (labels != null) {
            y = new int[n];
            for (int i = 0; i < n; i++) {
                y[i] = labels[i / perLabel];
            }
        }
        int size = config.imageSize();
        int ch = config.channels();
        System.out.printf("sampling %d %d×%d×%d images%s with %s, %s weights, seed %d, from step %d%n", n, size, size, ch,
                labels == null ? "" : " (" + perLabel + " per label)", sampler, ema ? "EMA" : "raw", seed, checkpoint.step());
        float[] images;
        try (Context ctx = Context.create(device); UNet net = new UNet(ctx, config)) {
            checkpoint.loadWeights(net, ema);
            long t0 = System.nanoTime();
            try (Tensor x = sampler.sample(ctx, net, new int[] {n, size, size, ch}, y, seed,
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
        int pixels = size * size * ch;
        for (int i = 0; i < n; i++) {
            String name = y == null ? "" : String.format("-label-%d-%s", y[i],
                    names.get(y[i]).replaceAll("[^A-Za-z0-9]+", "-").toLowerCase(java.util.Locale.ROOT));
            ImageGrid.writePng(out.resolve(String.format("sample-%03d%s.png", i, name)),
                    Arrays.copyOfRange(images, i * pixels, (i + 1) * pixels), 1, size, size, ch, 1, 2);
        }
        Path grid = out.resolve("grid.png");
        ImageGrid.writePng(grid, images, n, size, size, ch, labels == null ? (int) Math.ceil(Math.sqrt(n)) : perLabel, 2);
        if (labels != null) {
            System.out.println("rows: " + Arrays.stream(labels).mapToObj(names::get).toList());
        }
        System.out.println("wrote " + n + " images and " + grid.toAbsolutePath());
        return 0;
    }

    /** The checkpoint's class names, Fashion-MNIST's for a 10-class 28×28 grey model that names none, else "class N". */
    private static List<String> className(Checkpoint c, UNetConfig config) {
        List<String> names = c.classNames();
        if (names.size() == config.classes()) {
            return names;
        }
        if (config.classes() == FashionMnist.CLASSES.size() && config.imageSize() == 28 && config.channels() == 1) {
            return FashionMnist.CLASSES;
        }
        return IntStream.range(0, config.classes()).mapToObj(i -> "class " + i).toList();
    }

    private static int[] parseLabels(String s, int classes) {
        if (s.equals("all")) {
            return IntStream.range(0, classes).toArray();
        }
        int[] l = Arrays.stream(s.split(",")).mapToInt(v -> {
            try {
                return Integer.parseInt(v.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--labels " + s + ": expected all or numbers like 0,3,9");
            }
        }).toArray();
        for (int v : l) {
            if (v < 0 || v >= classes) {
                throw new IllegalArgumentException("--labels: " + v + " is not a class of this checkpoint (0.." + (classes - 1) + ")");
            }
        }
        return l;
    }
}
