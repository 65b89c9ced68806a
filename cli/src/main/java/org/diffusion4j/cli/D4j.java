package org.diffusion4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.D4jException;
import org.diffusion4j.Device;
import org.diffusion4j.data.FashionMnist;

/**
 * The {@code d4j} command line: a thin shell over the library. Commands:
 * <pre>
 *   d4j info                 backends and devices found
 *   d4j forward [options]    the forward process on Fashion-MNIST, as a PNG grid
 *   d4j train [options]      train the U-Net preset on Fashion-MNIST or a folder of images
 *   d4j sample [options]     sample a checkpoint into PNGs and a labelled grid
 * </pre>
 * Exit status: 0 success, 1 failure, 2 bad usage.
 */
public final class D4j {
    private D4j() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help")) {
            System.out.println(usage());
            return args.length == 0 ? 2 : 0;
        }
        List<String> rest = new ArrayList<>(List.of(args).subList(1, args.length));
        try {
            switch (args[0]) {
                case "info":
                    printBackends();
                    return 0;
                case "forward":
                    printBackends();
                    return ForwardCommand.run(ForwardCommand.Options.parse(rest));
                case "train":
                    printBackends();
                    return TrainCommand.run(new Args(rest, java.util.Set.of("--quiet", "--resume")).only(java.util.Set.of(
                            "--data", "--out", "--minutes", "--steps", "--batch", "--lr", "--warmup", "--ema", "--seed",
                            "--device", "--base", "--dropout")));
                case "sample":
                    printBackends();
                    return SampleCommand.run(new Args(rest, java.util.Set.of("--quiet", "--raw")).only(java.util.Set.of(
                            "--checkpoint", "--out", "--per-label", "--guidance", "--seed", "--sampler", "--labels", "--steps",
                            "--eta", "--device", "--count")));
                default:
                    System.err.println("d4j: unknown command '" + args[0] + "'\n" + usage());
                    return 2;
            }
        } catch (IllegalArgumentException e) {
            System.err.println("d4j: " + e.getMessage());
            return 2;
        } catch (NoSuchFileException e) {
            System.err.println("d4j: " + e.getFile() + ": " + e.getReason());
            return 1;
        } catch (IOException | D4jException | IllegalStateException e) {
            System.err.println("d4j: " + e.getMessage());
            return 1;
        }
    }

    static String usage() {
        return String.join("\n",
                "usage: d4j <command> [options]",
                "  info                      print the backends and devices found",
                "  forward                   noise Fashion-MNIST images with q(x_t|x_0) and write a PNG grid",
                "    --data DIR              Fashion-MNIST IDX files (default " + ForwardCommand.Options.DEFAULT_DATA + ")",
                "    --out DIR               output directory (default out)",
                "    --device cpu|cuda:N|best  where to run (default best)",
                "    --seed N                Philox seed (default 0)",
                "    --timesteps 0,250,...   timestep indices in [0, 1000) (default 0,250,500,750,999)",
                "  train                     train the small U-Net preset (class-conditional when the data has classes)",
                "    --data DIR              Fashion-MNIST IDX files, or a folder of same-size square images, one",
                "                            subfolder per class or none (default " + FashionMnist.DEFAULT_DIR + ")",
                "    --minutes M | --steps N  how long (default 10 minutes)",
                "    --batch 32 --lr 1e-3 --warmup 100 --ema 0.995 --dropout 0 --seed 0 --device best",
                "    --base 32               U-Net base channels (the checkpoint records the configuration)",
                "    --out DIR               checkpoint, loss.csv, loss.png (default out/fashion-mnist)",
                "    --resume                continue from DIR/checkpoint.safetensors; --quiet: no progress lines",
                "  sample                    sample a checkpoint: one PNG per image and a grid, a row per label",
                "    --checkpoint F          (default out/fashion-mnist/checkpoint.safetensors)",
                "    --sampler ddim|ddpm --steps 50 --eta 0 --guidance 3 --labels all|0,3,9 --per-label 10 --seed 0",
                "    --count 16              images to draw from an unconditional checkpoint",
                "    --out DIR (default out/fashion-mnist/samples); --raw: raw weights instead of EMA; --quiet");
    }

    static void printBackends() {
        System.out.println("diffusion4j backends:");
        System.out.println("  cpu     " + Device.cpu().name());
        int cuda = Device.cudaDeviceCount();
        if (!Device.cudaBuilt()) {
            System.out.println("  cuda    not built into this library");
        } else if (cuda == 0) {
            System.out.println("  cuda    built; no CUDA device found (no GPU or no driver)");
        } else {
            for (int i = 0; i < cuda; i++) {
                Device d = Device.cuda(i);
                System.out.printf("  %-7s %s, %.1f GiB%n", d, d.name(), d.totalMemory().getAsLong() / 1073741824.0);
            }
        }
    }

    /** Parses "cpu", "best" or "cuda:N". */
    static Device parseDevice(String s) {
        if (s.equals("cpu")) {
            return Device.cpu();
        }
        if (s.equals("best")) {
            return Device.best();
        }
        if (s.startsWith("cuda:")) {
            try {
                return Device.cuda(Integer.parseInt(s.substring(5)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--device " + s + ": expected cuda:N with N a number");
            }
        }
        throw new IllegalArgumentException("--device " + s + ": expected cpu, best or cuda:N");
    }

    static Path outputDir(String dir) throws IOException {
        Path p = Path.of(dir);
        Files.createDirectories(p);
        return p;
    }
}
