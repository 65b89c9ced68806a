package org.diffusion4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import org.diffusion4j.Device;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Shared by the report mains: runs JMH (forks, warm-up and measurement overridable with
 * -Dbench.forks, -Dbench.warmup, -Dbench.iterations, seconds per iteration -Dbench.time; a
 * benchmark parameter restricted with -Dbench.param.NAME=v1,v2, e.g. -Dbench.param.mode=DIRECT),
 * and describes the machine a result file was recorded on.
 */
final class Report {
    private Report() {}

    static Collection<RunResult> run(String... includes) throws RunnerException {
        int seconds = Integer.getInteger("bench.time", 1);
        ChainedOptionsBuilder opts = new OptionsBuilder()
                .forks(Integer.getInteger("bench.forks", 1))
                .warmupIterations(Integer.getInteger("bench.warmup", 3))
                .warmupTime(TimeValue.seconds(seconds))
                .measurementIterations(Integer.getInteger("bench.iterations", 5))
                .measurementTime(TimeValue.seconds(seconds));
        for (String include : includes) {
            opts.include(include);
        }
        for (String key : System.getProperties().stringPropertyNames()) {
            if (key.startsWith("bench.param.")) {
                opts.param(key.substring("bench.param.".length()), System.getProperty(key).split(","));
            }
        }
        return new Runner(opts.build()).run();
    }

    static String machine() throws IOException {
        String model = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                .filter(l -> l.startsWith("model name")).findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim())
                .orElse("unknown CPU");
        return "- CPU: " + model + ", " + Runtime.getRuntime().availableProcessors() + " logical cores; diffusion4j CPU kernels "
                + Device.cpuIsa() + (Device.cpuAmx() ? " (bf16 on AMX tiles)" : "") + " with " + Device.cpuThreads()
                + " OpenMP threads\n"
                + "- libtorch baseline: org.bytedeco:pytorch 2.10.0-1.5.13 (CPU, OpenBLAS), OPENBLAS_NUM_THREADS="
                + System.getenv().getOrDefault("OPENBLAS_NUM_THREADS", "unset") + "\n"
                + "- Java: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.version") + "\n"
                + "- JMH: forks " + Integer.getInteger("bench.forks", 1) + ", warm-up " + Integer.getInteger("bench.warmup", 3)
                + " × " + Integer.getInteger("bench.time", 1) + " s, measurement " + Integer.getInteger("bench.iterations", 5)
                + " × " + Integer.getInteger("bench.time", 1) + " s, mode AverageTime\n"
                + "- Recorded: " + ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME) + "\n";
    }

    /** The line that reproduces a report, with the JMH settings passed through BENCH_OPTS if any. */
    static String command(String report) {
        String opts = System.getenv("BENCH_OPTS");
        return "- Command: `" + (opts == null || opts.isBlank() ? "" : "BENCH_OPTS=\"" + opts.trim() + "\" ")
                + "bash benchmarks/run " + report + "` (after `mvn -B -DskipTests package`)";
    }

    static void write(Path file, String markdown) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Files.writeString(file, markdown);
        System.out.println(markdown);
        System.out.println("wrote " + file.toAbsolutePath());
    }
}
