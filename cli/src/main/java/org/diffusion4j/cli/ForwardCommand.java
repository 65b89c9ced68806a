package org.diffusion4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.data.FashionMnist;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.io.ImageGrid;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code d4j forward}: one Fashion-MNIST test image per class, noised by the fused q_sample at
 * several timesteps of the linear schedule (T = 1000), written as a grid: a row per class,
 * columns x_0 then x_t for each timestep. Also prints, per timestep, the measured mean and
 * variance of x_t − √ᾱ_t x_0 over the batch against the forward process's 0 and 1 − ᾱ_t.
 */
@Command(name = "forward", description = {"Noise one Fashion-MNIST test image per class with q(x_t|x_0) at several timesteps "
        + "and write the grid forward-process.png into --out: a row per class, columns x_0 then x_t for each timestep."})
final class ForwardCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--data", paramLabel = "DIR", description = "Fashion-MNIST IDX files.")
    Path data = FashionMnist.DEFAULT_DIR;

    @Option(names = "--out", paramLabel = "DIR", description = "Output directory.")
    Path outDir = Path.of("out");

    @Option(names = "--device", paramLabel = "DEVICE", description = D4j.DEVICE_HELP)
    String deviceName = "best";

    @Option(names = "--seed", paramLabel = "N", description = "Philox seed of the noise.")
    long seed = 0;

    @Option(names = "--timesteps", paramLabel = "T", split = ",",
            description = "Timestep indices in [0, 1000) of the linear schedule, separated by commas.")
    int[] timesteps = {0, 250, 500, 750, 999};

    @Override
    public Integer call() throws IOException {
        NoiseSchedule schedule = NoiseSchedule.linear(1000);
        for (int t : timesteps) {
            if (t < 0 || t >= schedule.timesteps()) {
                throw Check.invalid(spec, "--timesteps", t, "each must be in [0, " + schedule.timesteps() + ")");
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        D4j.printBackends(out);
        Device device = D4j.parseDevice(deviceName);
        FashionMnist test = FashionMnist.load(data, FashionMnist.Split.TEST);
        int classes = FashionMnist.CLASSES.size();
        int[] picks = firstOfEachClass(test, classes);
        int h = test.rows();
        int w = test.cols();
        int pixels = h * w;
        int columns = 1 + timesteps.length;
        float[] grid = new float[classes * columns * pixels];

        out.printf("forward process on %s: %d Fashion-MNIST test images (one per class), %s, seed %d%n",
                device, classes, schedule, seed);
        try (Context ctx = Context.create(device, seed);
                Tensor x0 = test.batch(ctx, picks);
                Tensor xt = Tensor.empty(ctx, classes, h, w, 1);
                Tensor eps = Tensor.empty(ctx, classes, h, w, 1)) {
            float[] clean = x0.toArray();
            for (int r = 0; r < classes; r++) {
                System.arraycopy(clean, r * pixels, grid, (r * columns) * pixels, pixels);
            }
            out.println("     t    abar_t   mean(x_t - sqrt(abar) x_0)   var (want 1 - abar)");
            for (int c = 0; c < timesteps.length; c++) {
                int t = timesteps[c];
                int[] ts = new int[classes];
                Arrays.fill(ts, t);
                org.diffusion4j.diffusion.GaussianDiffusion.of(schedule).qSample(ctx, xt, eps, x0, ts);
                float[] noisy = xt.toArray();
                double a = Math.sqrt(schedule.alphaBar(t));
                double sum = 0;
                double sq = 0;
                for (int i = 0; i < noisy.length; i++) {
                    double d = noisy[i] - a * clean[i];
                    sum += d;
                    sq += d * d;
                }
                double mean = sum / noisy.length;
                double var = sq / noisy.length - mean * mean;
                out.printf("  %4d  %8.5f   %+10.5f                  %.5f (%.5f)%n", t, schedule.alphaBar(t), mean, var,
                        1 - schedule.alphaBar(t));
                for (int r = 0; r < classes; r++) {
                    System.arraycopy(noisy, r * pixels, grid, (r * columns + 1 + c) * pixels, pixels);
                }
            }
        }
        Path png = D4j.outputDir(outDir).resolve("forward-process.png");
        ImageGrid.writePng(png, grid, classes * columns, h, w, 1, columns, 3);
        out.println("rows: " + String.join(", ", FashionMnist.CLASSES));
        out.println("columns: x_0, then x_t for t = " + Arrays.toString(timesteps));
        out.println("wrote " + png.toAbsolutePath());
        return 0;
    }

    private static int[] firstOfEachClass(FashionMnist data, int classes) {
        int[] picks = new int[classes];
        Arrays.fill(picks, -1);
        int found = 0;
        for (int i = 0; i < data.size() && found < classes; i++) {
            int label = data.label(i);
            if (picks[label] < 0) {
                picks[label] = i;
                found++;
            }
        }
        if (found < classes) {
            throw new IllegalStateException("the test split lacks some of the " + classes + " classes");
        }
        return picks;
    }
}
