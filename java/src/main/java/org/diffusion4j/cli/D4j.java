package org.diffusion4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.D4jException;
import org.diffusion4j.Device;

/**
 * The {@code d4j} command line: a thin shell over the library. Commands:
 * <pre>
 *   d4j info                 backends and devices found
 *   d4j forward [options]    the forward process on Fashion-MNIST, as a PNG grid
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
                "    --timesteps 0,250,...   timestep indices in [0, 1000) (default 0,250,500,750,999)");
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
