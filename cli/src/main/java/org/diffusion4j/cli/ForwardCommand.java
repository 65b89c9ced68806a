package org.diffusion4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Tensor;
import org.diffusion4j.data.FashionMnist;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.io.ImageGrid;

/**
 * {@code d4j forward}: one Fashion-MNIST test image per class, noised by the fused q_sample at
 * several timesteps of the linear schedule (T = 1000), written as a grid: a row per class,
 * columns x_0 then x_t for each timestep. Also prints, per timestep, the measured mean and
 * variance of x_t − √ᾱ_t x_0 over the batch against the forward process's 0 and 1 − ᾱ_t.
 */
final class ForwardCommand {
    private ForwardCommand() {}

    record Options(Path data, String out, String device, long seed, int[] timesteps) {
        static final String DEFAULT_DATA = FashionMnist.DEFAULT_DIR.toString();

        static Options parse(List<String> args) {
            Path data = FashionMnist.DEFAULT_DIR;
            String out = "out";
            String device = "best";
            long seed = 0;
            int[] timesteps = {0, 250, 500, 750, 999};
            for (int i = 0; i < args.size(); i++) {
                String flag = args.get(i);
                if (i + 1 >= args.size()) {
                    throw new IllegalArgumentException(flag + " needs a value");
                }
                String v = args.get(++i);
                switch (flag) {
                    case "--data" -> data = Path.of(v);
                    case "--out" -> out = v;
                    case "--device" -> device = v;
                    case "--seed" -> seed = parseLong(flag, v);
                    case "--timesteps" -> timesteps = Arrays.stream(v.split(",")).mapToInt(s -> (int) parseLong(flag, s)).toArray();
                    default -> throw new IllegalArgumentException("unknown option " + flag);
                }
            }
            return new Options(data, out, device, seed, timesteps);
        }

        private static long parseLong(String flag, String v) {
            try {
                return Long.parseLong(v.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flag + " " + v + ": not a number");
            }
        }
    }

    static int run(Options o) throws IOException {
        NoiseSchedule schedule = NoiseSchedule.linear(1000);
        for (int t : o.timesteps()) {
            if (t < 0 || t >= schedule.timesteps()) {
                throw new IllegalArgumentException("--timesteps: " + t + " is outside [0, " + schedule.timesteps() + ")");
            }
        }
        Device device = D4j.parseDevice(o.device());
        FashionMnist test = FashionMnist.load(o.data(), FashionMnist.Split.TEST);
        int classes = FashionMnist.CLASSES.size();
        int[] picks = firstOfEachClass(test, classes);
        int h = test.rows();
        int w = test.cols();
        int pixels = h * w;
        int columns = 1 + o.timesteps().length;
        float[] grid = new float[classes * columns * pixels];

        System.out.printf("forward process on %s: %d Fashion-MNIST test images (one per class), %s, seed %d%n",
                device, classes, schedule, o.seed());
        try (Context ctx = Context.create(device, o.seed());
                Tensor x0 = test.batch(ctx, picks);
                Tensor xt = Tensor.empty(ctx, classes, h, w, 1);
                Tensor eps = Tensor.empty(ctx, classes, h, w, 1)) {
            float[] clean = x0.toArray();
            for (int r = 0; r < classes; r++) {
                System.arraycopy(clean, r * pixels, grid, (r * columns) * pixels, pixels);
            }
            System.out.println("     t    abar_t   mean(x_t - sqrt(abar) x_0)   var (want 1 - abar)");
            for (int c = 0; c < o.timesteps().length; c++) {
                int t = o.timesteps()[c];
                int[] ts = new int[classes];
                Arrays.fill(ts, t);
                schedule.qSample(ctx, xt, eps, x0, ts);
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
                System.out.printf("  %4d  %8.5f   %+10.5f                  %.5f (%.5f)%n", t, schedule.alphaBar(t), mean, var,
                        1 - schedule.alphaBar(t));
                for (int r = 0; r < classes; r++) {
                    System.arraycopy(noisy, r * pixels, grid, (r * columns + 1 + c) * pixels, pixels);
                }
            }
        }
        Path png = D4j.outputDir(o.out()).resolve("forward-process.png");
        ImageGrid.writePng(png, grid, classes * columns, h, w, 1, columns, 3);
        System.out.println("rows: " + String.join(", ", FashionMnist.CLASSES));
        System.out.println("columns: x_0, then x_t for t = " + Arrays.toString(o.timesteps()));
        System.out.println("wrote " + png.toAbsolutePath());
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
