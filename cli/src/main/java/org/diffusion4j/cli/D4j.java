package org.diffusion4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.diffusion4j.Context;
import org.diffusion4j.ConvAlgorithm;
import org.diffusion4j.D4jException;
import org.diffusion4j.Device;
import org.diffusion4j.Precision;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code d4j} command line: a thin shell over the library, on picocli. Subcommands info,
 * forward, train, sample, train-classifier, train-noisy-classifier, evaluate; {@code --help} on each, {@code --version}.
 * Exit status: 0 success, 1 failure (a missing file or device, a native error, a refused
 * overwrite), 2 bad usage (an unknown option, a value out of range).
 */
@Command(name = "d4j", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true, showDefaultValues = true,
        versionProvider = D4j.Version.class, sortOptions = false, usageHelpAutoWidth = true,
        description = "Train and sample diffusion models on the diffusion4j library.",
        subcommands = {InfoCommand.class, ForwardCommand.class, TrainCommand.class, SampleCommand.class,
            TrainClassifierCommand.class, TrainNoisyClassifierCommand.class, TrainAutoencoderCommand.class,
            EvaluateCommand.class},
        footer = {"", "Exit status: 0 success, 1 failure, 2 bad usage. 'd4j <command> --help' describes a command."})
public final class D4j implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs one command line, printing to System.out and System.err; returns the exit status. */
    static int run(String... args) {
        CommandLine cl = new CommandLine(new D4j())
                .setOut(new PrintWriter(System.out, true))
                .setErr(new PrintWriter(System.err, true))
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setParameterExceptionHandler(D4j::usageError)
                .setExecutionExceptionHandler((e, cmd, parsed) -> failure(e, cmd));
        return cl.execute(args);
    }

    /** {@code d4j} alone: the usage on stderr, status 2. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return CommandLine.ExitCode.USAGE;
    }

    /** A bad command line: the message, suggestions for a mistyped option, where help is; status 2. */
    private static int usageError(ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
        return CommandLine.ExitCode.USAGE;
    }

    /**
     * What a command threw: a value the library rejected is bad usage (2); a missing file, a
     * native error or a refused overwrite is a failure (1), reported in one line. Anything else
     * is a bug: picocli prints its stack trace (1).
     */
    private static int failure(Exception e, CommandLine cmd) throws Exception {
        PrintWriter err = cmd.getErr();
        String name = cmd.getCommandSpec().qualifiedName();
        if (e instanceof IllegalArgumentException) {
            err.println(name + ": " + e.getMessage());
            return CommandLine.ExitCode.USAGE;
        }
        if (e instanceof NoSuchFileException n) {
            err.println(name + ": " + n.getFile() + ": " + (n.getReason() == null ? "no such file" : n.getReason()));
            return CommandLine.ExitCode.SOFTWARE;
        }
        if (e instanceof IOException || e instanceof UncheckedIOException || e instanceof D4jException
                || e instanceof IllegalStateException) {
            err.println(name + ": " + e.getMessage());
            return CommandLine.ExitCode.SOFTWARE;
        }
        throw e;
    }

    /** The version the build wrote into version.properties: the library's, which this module shares. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = D4j.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            String v = p.getProperty("version", "(version unknown: not built by Maven)");
            return new String[] {"d4j " + v + ", the command line of diffusion4j " + v + " (Java " + System.getProperty("java.version") + ")"};
        }
    }

    static void printBackends(PrintWriter out) {
        out.println("diffusion4j backends:");
        out.println("  cpu     " + Device.cpu().name());
        int cuda = Device.cudaDeviceCount();
        if (!Device.cudaBuilt()) {
            out.println("  cuda    not built into this library");
        } else if (cuda == 0) {
            out.println("  cuda    built; no CUDA device found (no GPU or no driver)");
        } else {
            for (int i = 0; i < cuda; i++) {
                Device d = Device.cuda(i);
                out.printf("  %-7s %s, %.1f GiB%n", d, d.name(), d.totalMemory().getAsLong() / 1073741824.0);
            }
        }
    }

    /** The description every {@code --device} option shares. */
    static final String DEVICE_HELP = "cpu, cuda:N, or best (CUDA device 0 when there is one, else the CPU)";

    static final String PRECISION_HELP = "Products of the convolutions and linear layers: fp32, or bf16 (operands rounded "
            + "to bfloat16, float32 sums; weights, optimizer and every other op stay float32). bf16 needs a CPU with "
            + "AVX-512 BF16 (the avx512+bf16 kernel build) and is refused elsewhere, CUDA included.";

    static final String CONV_HELP = "How the CPU runs 3×3 stride-1 convolutions: auto (per shape, whichever measured faster), "
            + "direct, winograd (the tile picked per shape), winograd-2x2 or winograd-4x4 (Winograd F(m×m, 3×3)). "
            + "Other convolutions, and CUDA, run direct.";

    private static final String[] CONV_NAMES = {"auto", "direct", "winograd", "winograd-2x2", "winograd-4x4"};

    /** --conv's value as a {@link ConvAlgorithm}; anything else is a usage error naming it (spec null: already checked). */
    static ConvAlgorithm parseConv(CommandSpec spec, String s) {
        if (spec != null) {
            Check.oneOf(spec, "--conv", s, CONV_NAMES);
        }
        return ConvAlgorithm.values()[java.util.Arrays.asList(CONV_NAMES).indexOf(s)];
    }

    /** "fp32" or "bf16" (--precision); anything else is a usage error naming the value (spec null: already checked). */
    static Precision parsePrecision(CommandSpec spec, String s) {
        if (spec != null) {
            Check.oneOf(spec, "--precision", s, "fp32", "bf16");
        }
        return s.equals("bf16") ? Precision.BF16 : Precision.FP32;
    }

    /**
     * Sets the precision on ctx; where it has no kernels (BF16 without the avx512+bf16 build, or on CUDA) the
     * library's refusal becomes a failure (exit 1) that names the option, the value and the build that runs.
     */
    static void setPrecision(Context ctx, Precision p) {
        try {
            ctx.setPrecision(p);
        } catch (D4jException e) {
            throw new IllegalStateException("--precision " + p.name().toLowerCase(java.util.Locale.ROOT) + ": "
                    + e.getMessage(), e);
        }
    }

    /** Parses "cpu", "best" or "cuda:N"; a CUDA device that does not exist throws {@link D4jException}. */
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

    static Path outputDir(Path dir) throws IOException {
        Files.createDirectories(dir);
        return dir;
    }
}
