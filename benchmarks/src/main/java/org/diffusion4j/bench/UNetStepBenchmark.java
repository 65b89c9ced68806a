package org.diffusion4j.bench;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.AbstractTensor;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.diffusion4j.Context;
import org.diffusion4j.Device;
import org.diffusion4j.Precision;
import org.diffusion4j.Tensor;
import org.diffusion4j.diffusion.DdimSampler;
import org.diffusion4j.diffusion.NoiseSchedule;
import org.diffusion4j.nn.UNet;
import org.diffusion4j.nn.UNetConfig;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.train.Trainer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Whole steps of the Fashion-MNIST U-Net (the preset, dropout off as in the main job) on the CPU,
 * ours beside the libtorch twin ({@link TorchUNet}, the same network and weights):
 * <ul>
 *   <li>train: q_sample (fresh noise), forward, MSE, backward, global-norm clipping to 1, AdamW
 *       (lr 1e-3), EMA of the weights, the loss read back to the host — {@link Trainer#trainStep}
 *       and the same calls in libtorch (autograd, torch AdamW, clip_grad_norm_, lerp_);</li>
 *   <li>sample: one DDIM step with classifier-free guidance w = 3 — x_T drawn, a conditional and an
 *       unconditional prediction (ours: one U-Net pass of batch 2N, {@code UNet.predictGuided};
 *       libtorch: two passes of N), the guided update with x̂_0 clipped — a {@link DdimSampler} of
 *       one step, and the same in libtorch under no_grad.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class UNetStepBenchmark {
    static final UNetConfig CONFIG = UNetConfig.fashionMnist().withDropout(0f);
    static final TrainConfig TRAIN = new TrainConfig(1, 1e-3f, 100, 0f, 1f, 0.995f, 0.1f, 0L);
    static final NoiseSchedule SCHEDULE = NoiseSchedule.linear(1000);
    static final double GUIDANCE = 3.0;

    /** The batch's labels (0..9) and random timesteps, drawn once per trial. */
    static int[] labels(int batch) {
        return new SplittableRandom(5).ints(batch, 0, 10).toArray();
    }

    @State(Scope.Thread)
    public static class Ours {
        @Param({"1", "128"})
        public int batch;

        /** cpu or cuda:N; the GPU run (benchmarks/gpu/steps.sh) passes -p device=cuda:0. */
        @Param({"cpu"})
        public String device;

        /** fashion-mnist (the main job's preset) or cifar10 (UNetConfig.cifar10(), a GPU model). */
        @Param({"fashion-mnist"})
        public String model;

        /** fp32, or bf16: ours with {@link Precision#BF16} (the trainer sets it on the context, the
         *  sampler runs on it); refused where the CPU has no AVX-512 BF16. */
        @Param({"fp32"})
        public String precision;

        Context ctx;
        UNetConfig config;
        UNet net;
        Trainer trainer;
        Tensor x0;
        int[] labels;
        DdimSampler oneStep;

        @Setup(Level.Trial)
        public void setUp() {
            ctx = Context.create(device.equals("cpu") ? Device.cpu() : Device.cuda(Integer.parseInt(device.substring(5))), 1);
            config = switch (model) {
                case "fashion-mnist" -> CONFIG;
                case "cifar10" -> UNetConfig.cifar10().withDropout(0f);
                default -> throw new IllegalArgumentException("model " + model + ": expected fashion-mnist or cifar10");
            };
            net = new UNet(ctx, config);
            trainer = new Trainer(ctx, net, org.diffusion4j.diffusion.GaussianDiffusion.of(SCHEDULE),
                    TRAIN.withPrecision(Precision.valueOf(precision.toUpperCase(java.util.Locale.ROOT))));
            x0 = Tensor.empty(ctx, batch, config.imageSize(), config.imageSize(), config.channels()).fillUniform(-1f, 1f);
            labels = labels(batch);
            oneStep = new DdimSampler(org.diffusion4j.diffusion.GaussianDiffusion.of(SCHEDULE), 1, 0.0, org.diffusion4j.diffusion.Spacing.TRAILING, GUIDANCE, true);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            x0.close();
            trainer.close();
            net.close();
            ctx.close();
        }
    }

    @State(Scope.Thread)
    public static class Libtorch {
        @Param({"1", "128"})
        public int batch;

        /** libtorch's memory format for images and convolution weights. */
        @Param({"nchw", "channels_last"})
        public String format;

        /** fp32, or bf16: libtorch's CPU autocast to bfloat16 around the forward passes (as
         *  {@code torch.autocast("cpu", torch.bfloat16)}: convolutions, linear layers and matrix
         *  products in bf16, weights, optimizer and backward's accumulation as autocast leaves them). */
        @Param({"fp32"})
        public String precision;

        TorchUNet net;
        List<org.bytedeco.pytorch.Tensor> params;
        TensorVector paramVector;
        List<org.bytedeco.pytorch.Tensor> ema;
        org.bytedeco.pytorch.AdamW adamw;
        org.bytedeco.pytorch.Tensor x0;
        int[] labels;
        long step;

        @Setup(Level.Trial)
        public void setUp() {
            torch.set_num_threads(Device.cpuThreads());
            try (Context ctx = Context.create(Device.cpu(), 1); UNet ours = new UNet(ctx, CONFIG)) {
                net = new TorchUNet(ours, format.equals("channels_last"));
            }
            params = net.parameters();
            paramVector = new TensorVector(params.toArray(new org.bytedeco.pytorch.Tensor[0]));
            ema = params.stream().map(p -> p.detach().clone()).toList();
            AdamWOptions options = new AdamWOptions(TRAIN.lr());
            options.weight_decay().put(TRAIN.weightDecay());
            adamw = new org.bytedeco.pytorch.AdamW(paramVector, options);
            x0 = image(torch.rand(batch, 1, 28, 28).mul(TorchUNet.scalar(2)).sub(TorchUNet.scalar(1)));
            labels = labels(batch);
            if (precision.equals("bf16")) { // autocast must really reach the twin's ops, or the row would be fp32
                int[] t = new int[batch];
                try (NoGradGuard g = new NoGradGuard()) {
                    autocast(true);
                    String out = String.valueOf(net.forward(x0, t, labels).scalar_type());
                    autocast(false);
                    if (!out.equals(String.valueOf(torch.ScalarType.BFloat16)))
                        throw new IllegalStateException("libtorch autocast left the U-Net output in " + out);
                }
            } else if (!precision.equals("fp32")) {
                throw new IllegalArgumentException("precision " + precision + ": expected fp32 or bf16");
            }
        }

        /** Turns this thread's CPU autocast on for bf16 (a no-op for fp32). */
        void autocast(boolean on) {
            if (!precision.equals("bf16")) return;
            torch.set_autocast_dtype(torch.DeviceType.CPU, torch.ScalarType.BFloat16);
            torch.set_autocast_enabled(torch.DeviceType.CPU, on);
            if (!on) torch.clear_cache(); // the casts of the weights autocast cached, as leaving autocast does
        }

        org.bytedeco.pytorch.Tensor image(org.bytedeco.pytorch.Tensor t) {
            return format.equals("channels_last") ? t.contiguous(torch.MemoryFormat.ChannelsLast) : t.contiguous();
        }
    }

    @Benchmark
    public float trainOurs(Ours s) {
        s.trainer.trainStep(s.x0, s.labels);
        return s.trainer.lastLoss(); // reading the loss waits for the step (a device sync on CUDA)
    }

    @Benchmark
    public float trainLibtorch(Libtorch s) {
        // the scope frees the step's temporaries (and the autograd graph with its activations) at
        // its end, as a careful JavaCPP user would, instead of whenever the garbage collector runs
        try (PointerScope scope = new PointerScope()) {
            return trainLibtorchStep(s);
        }
    }

    private static float trainLibtorchStep(Libtorch s) {
        int n = s.batch;
        SplittableRandom r = new SplittableRandom(s.step);
        int[] t = new int[n];
        int[] y = s.labels.clone();
        float[] a = new float[n];
        float[] b = new float[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(SCHEDULE.timesteps());
            y[i] = r.nextDouble() < TRAIN.labelDropout() ? CONFIG.classes() : y[i];
            a[i] = (float) Math.sqrt(SCHEDULE.alphaBar(t[i]));
            b[i] = (float) Math.sqrt(1 - SCHEDULE.alphaBar(t[i]));
        }
        // q(x_t | x_0): x_t = √ᾱ x_0 + √(1−ᾱ) ε
        org.bytedeco.pytorch.Tensor eps = s.image(torch.randn(n, 1, 28, 28));
        org.bytedeco.pytorch.Tensor xt = s.x0.mul(AbstractTensor.create(a, n, 1, 1, 1))
                .add(eps.mul(AbstractTensor.create(b, n, 1, 1, 1)));
        s.autocast(true);
        org.bytedeco.pytorch.Tensor loss = torch.mse_loss(s.net.forward(xt, t, y), eps);
        s.autocast(false);
        s.adamw.zero_grad();
        loss.backward();
        torch.clip_grad_norm_(s.paramVector, TRAIN.gradClip());
        float lr = TRAIN.lr() * Math.min(1f, (s.step + 1f) / TRAIN.warmupSteps());
        s.adamw.param_groups().get(0).options().set_lr(lr);
        s.adamw.step();
        try (NoGradGuard g = new NoGradGuard()) {
            double decay = Math.min(TRAIN.emaDecay(), (1.0 + s.step) / (10.0 + s.step));
            for (int i = 0; i < s.params.size(); i++) {
                s.ema.get(i).lerp_(s.params.get(i), TorchUNet.scalar(1 - decay)); // ema ← d·ema + (1−d)·p
            }
        }
        s.step++;
        return loss.item_float();
    }

    @Benchmark
    public Tensor sampleOurs(Ours s) {
        int size = s.config.imageSize();
        try (Tensor x = s.oneStep.sample(s.ctx, s.net, new int[] {s.batch, size, size, s.config.channels()}, s.labels, 7,
                null)) {
            return x;
        }
    }

    @Benchmark
    public float sampleLibtorch(Libtorch s) {
        try (PointerScope scope = new PointerScope()) {
            return sampleLibtorchStep(s).data_ptr_float().get(0);
        }
    }

    private static org.bytedeco.pytorch.Tensor sampleLibtorchStep(Libtorch s) {
        int n = s.batch;
        int[] t = new int[n];
        java.util.Arrays.fill(t, SCHEDULE.timesteps() - 1);
        double ab = SCHEDULE.alphaBar(t[0]);
        try (NoGradGuard g = new NoGradGuard()) {
            org.bytedeco.pytorch.Tensor x = s.image(torch.randn(n, 1, 28, 28));
            s.autocast(true);
            org.bytedeco.pytorch.Tensor cond = s.net.forward(x, t, s.labels).toType(torch.ScalarType.Float);
            org.bytedeco.pytorch.Tensor uncond = s.net.forward(x, t, null).toType(torch.ScalarType.Float);
            s.autocast(false);
            // ε̃ = (w + 1) ε(x, y) − w ε(x); x̂_0 clipped; the ε it implies; DDIM (η = 0) to ᾱ_prev = 1
            org.bytedeco.pytorch.Tensor e = cond.mul(TorchUNet.scalar(GUIDANCE + 1)).sub(uncond.mul(TorchUNet.scalar(GUIDANCE)));
            org.bytedeco.pytorch.Tensor x0 = x.sub(e.mul(TorchUNet.scalar(Math.sqrt(1 - ab))))
                    .mul(TorchUNet.scalar(1 / Math.sqrt(ab)))
                    .clamp(new ScalarOptional(TorchUNet.scalar(-1)), new ScalarOptional(TorchUNet.scalar(1)));
            org.bytedeco.pytorch.Tensor implied = x.sub(x0.mul(TorchUNet.scalar(Math.sqrt(ab))))
                    .mul(TorchUNet.scalar(1 / Math.sqrt(1 - ab)));
            return x0.add(implied.mul(TorchUNet.scalar(0.0)));
        }
    }
}
