"""bench_torch.py — PyTorch's timings of the work bench_kernels.c timed in libd4j, on the same GPU.

Usage: python3 bench_torch.py ours.tsv > kernels-gpu.md

Reads bench_kernels' lines (case, shape, median ms, bytes, flops), times the same work in PyTorch
eager (cuDNN; TF32 as PyTorch defaults: on for convolutions, off for matmul) with CUDA events —
warm-up, then the median of REPS runs rotating over NROT input sets — measures the card's copy
bandwidth and float32/TF32 matmul throughput, and prints a Markdown table of ratios and fractions
of those measured ceilings. Attention compares forward and forward + backward (PyTorch's
backward only runs through autograd).
"""
import sys

import torch
import torch.nn.functional as F

NROT, REPS, WARMUP = 4, 50, 5
dev = torch.device("cuda", 0)


def median_ms(fn):
    """fn(k) runs the work on input set k; CUDA events around each run."""
    for i in range(WARMUP):
        fn(i % NROT)
    events = []
    for i in range(REPS):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        fn(i % NROT)
        e.record()
        events.append((s, e))
    torch.cuda.synchronize()
    times = sorted(s.elapsed_time(e) for s, e in events)
    return times[len(times) // 2]


def randn(*shape, fmt=None):
    t = torch.randn(*shape, device=dev)
    return t.contiguous(memory_format=fmt) if fmt is not None else t


def ceilings():
    """Copy GB/s (bytes read + written) over 256 MiB, and matmul TFLOP/s at 8192³ in float32 and TF32."""
    src = [randn(1 << 26) for _ in range(NROT)]
    dst = [torch.empty_like(s) for s in src]
    copy_ms = median_ms(lambda k: dst[k].copy_(src[k]))
    copy_gbs = 2 * 4 * (1 << 26) / copy_ms / 1e6
    a = [randn(8192, 8192) for _ in range(2)]
    out = {}
    for name, tf32 in (("fp32", False), ("tf32", True)):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        ms = median_ms(lambda k: a[k % 2] @ a[(k + 1) % 2])
        out[name] = 2 * 8192 ** 3 / ms / 1e9
    torch.backends.cuda.matmul.allow_tf32 = False  # PyTorch's default again
    return copy_gbs, out["fp32"], out["tf32"]


def dims(shape):
    return [int(v) for v in shape.split("(")[0].split("x")]


def torch_case(case, shape):
    """PyTorch's median ms for one of bench_kernels' cases."""
    if case in ("copy", "q_sample", "sampler_step"):
        n = dims(shape)
        x = [randn(*n) for _ in range(NROT)]
        y = [randn(*n) for _ in range(NROT)]
        z = [randn(*n) for _ in range(NROT)]
        if case == "copy":
            return median_ms(lambda k: y[k].copy_(x[k]))
        if case == "q_sample":
            t = (torch.arange(n[0], device=dev) * 37) % 1000
            sab, s1 = torch.rand(1000, device=dev), torch.rand(1000, device=dev)

            def q(k):  # x_t = √ᾱ x_0 + √(1−ᾱ) ε with fresh ε, as DDPM's training step does it
                eps = torch.randn_like(x[k])
                return torch.addcmul(x[k] * sab[t].view(-1, 1, 1, 1), eps, s1[t].view(-1, 1, 1, 1))
            return median_ms(q)
        w, r, s1, sab, rs1, c0, c1, c2, sigma = 3.0, 1.25, 0.6, 0.8, 1 / 0.6, 0.3, 0.9, 0.1, 0.05

        def step(k):  # the fused update of d4j_sampler_step, written as PyTorch ops
            e = (w + 1) * y[k] - w * z[k]
            x0 = ((x[k] - s1 * e) * r).clamp_(-1, 1)
            e = (x[k] - sab * x0) * rs1
            return c0 * x0 + c1 * x[k] + c2 * e + sigma * torch.randn_like(x[k])
        return median_ms(step)
    if case.startswith("conv3x3"):
        n, hw, _, c = dims(shape)
        cl = torch.channels_last
        x = [randn(n, c, hw, hw, fmt=cl) for _ in range(NROT)]
        dy = [randn(n, c, hw, hw, fmt=cl) for _ in range(NROT)]
        w = randn(c, c, 3, 3, fmt=cl)
        b = randn(c)
        if case == "conv3x3_fwd":
            return median_ms(lambda k: F.conv2d(x[k], w, b, padding=1))
        mask = [True, False, False] if case == "conv3x3_bwd_data" else [False, True, True]
        return median_ms(lambda k: torch.ops.aten.convolution_backward(
            dy[k], x[k], w, [c], [1, 1], [1, 1], [1, 1], False, [0, 0], 1, mask))
    if case.startswith("groupnorm_silu"):
        n, hw, _, c = dims(shape)
        x = [randn(n, c, hw, hw) for _ in range(NROT)]
        dy = [randn(n, c, hw, hw) for _ in range(NROT)]
        g, b = randn(c), randn(c)
        if case == "groupnorm_silu_fwd":
            return median_ms(lambda k: F.silu(F.group_norm(x[k], 32, g, b)))
        saved = [torch.ops.aten.native_group_norm(x[k], g, b, n, c, hw * hw, 32, 1e-5) for k in range(NROT)]

        def bwd(k):
            z, mean, rstd = saved[k]
            dz = torch.ops.aten.silu_backward(dy[k], z)
            return torch.ops.aten.native_group_norm_backward(dz, x[k], mean, rstd, g, n, c, hw * hw, 32,
                                                              [True, True, True])
        return median_ms(bwd)
    if case.startswith("attention"):
        n, l, c = dims(shape)
        heads = int(shape.split("(h")[1].rstrip(")"))
        d = c // heads
        q = [randn(n, heads, l, d).requires_grad_() for _ in range(3 * NROT)]
        do = [randn(n, heads, l, d) for _ in range(NROT)]
        if case == "attention_fwd":
            with torch.no_grad():
                return median_ms(lambda k: F.scaled_dot_product_attention(q[3 * k], q[3 * k + 1], q[3 * k + 2]))
        return median_ms(lambda k: F.scaled_dot_product_attention(q[3 * k], q[3 * k + 1], q[3 * k + 2]).backward(do[k]))
    raise ValueError("unknown case " + case)


def main():
    rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
    copy_gbs, fp32, tf32 = ceilings()
    p = torch.cuda.get_device_properties(0)
    print("# libd4j CUDA kernels vs PyTorch eager on the same GPU\n")
    print(f"- GPU: {p.name}, {p.total_memory / 2**30:.0f} GiB, {p.multi_processor_count} SMs; "
          f"PyTorch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}")
    print(f"- Measured ceilings: copy {copy_gbs:.0f} GB/s (256 MiB, read + write); matmul 8192³ "
          f"{fp32:.1f} TFLOP/s float32, {tf32:.1f} TFLOP/s TF32")
    print(f"- Timing: CUDA events, {WARMUP} warm-up runs, median of {REPS}, inputs rotated over {NROT} sets")
    print("- Command: `OUT=... bash benchmarks/gpu/perf.sh`\n")
    print("| case | shape | ours ms | PyTorch ms | ours / PyTorch time | ours GB/s | of copy | ours TFLOP/s | of fp32 matmul |")
    print("|---|---|---|---|---|---|---|---|---|")
    ours = {(r[0], r[1]): float(r[2]) for r in rows}
    for case, shape, ms, nbytes, flops in rows:
        ms, nbytes, flops = float(ms), float(nbytes), float(flops)
        if case == "attention_bwd":  # PyTorch's backward runs through autograd: compare forward + backward
            ms += ours[("attention_fwd", shape)]
            case = "attention_fwd+bwd"
            flops += flops / 2.5
        ref = torch_case(case if case != "attention_fwd+bwd" else "attention_bwd", shape)
        gbs = nbytes / ms / 1e6
        tfs = flops / ms / 1e9
        print(f"| {case} | {shape} | {ms:.3f} | {ref:.3f} | {ms / ref:.2f} | {gbs:.0f} | {gbs / copy_gbs:.0%} | "
              + (f"{tfs:.1f} | {tfs / fp32:.0%} |" if flops > 0 else "– | – |"))


if __name__ == "__main__":
    main()
