"""bench_unet_torch.py — PyTorch eager timings of whole U-Net steps on the GPU (issue 6), for the
same networks diffusion4j's UNetStepBenchmark times through the carried Java runtime.

Usage: python3 bench_unet_torch.py [batch]   (prints tab-separated: model, step, batch, median ms)

The network is diffusion4j's UNet (java/.../nn/UNet.java) written as a torch.nn.Module — the
same blocks, widths and order as benchmarks/.../bench/TorchUNet.java, which is checked equal to
ours on the CPU — in channels-last, cuDNN and TF32 as PyTorch defaults. Train step: q_sample,
forward, MSE, backward, clip_grad_norm_(1), AdamW(lr 1e-3), EMA lerp. Sample step: x_T drawn,
conditional and unconditional forwards under no_grad, the guided DDIM update with x̂_0 clipped.
"""
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

dev = torch.device("cuda", 0)
CONFIGS = {  # size, channels, base, multipliers, res blocks, attention resolution, heads, groups, classes, emb
    "fashion-mnist": (28, 1, 32, (1, 2, 2), 1, 7, 4, 8, 10, 128),
    "cifar10": (32, 3, 128, (1, 2, 2, 2), 2, 16, 4, 32, 10, 512),
}


class ResBlock(nn.Module):
    def __init__(self, cin, cout, emb, groups):
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(groups, cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(emb, cout)
        self.norm2, self.conv2 = nn.GroupNorm(groups, cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, e):
        h = self.conv1(F.silu(self.norm1(x))) + self.emb(F.silu(e))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return h + (self.skip(x) if self.skip is not None else x)


class AttnBlock(nn.Module):
    def __init__(self, c, heads, groups):
        super().__init__()
        self.norm, self.qkv, self.proj, self.heads = nn.GroupNorm(groups, c), nn.Linear(c, 3 * c), nn.Linear(c, c), heads

    def forward(self, x):
        n, c, hh, ww = x.shape
        t = self.qkv(self.norm(x).flatten(2).transpose(1, 2))  # (N, L, 3C), channels [q | k | v]
        q, k, v = (t[:, :, i * c:(i + 1) * c].unflatten(2, (self.heads, c // self.heads)).transpose(1, 2) for i in range(3))
        a = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).flatten(2)
        return x + self.proj(a).transpose(1, 2).reshape(n, c, hh, ww)


class UNet(nn.Module):
    def __init__(self, size, channels, base, mult, res_blocks, attn, heads, groups, classes, emb):
        super().__init__()
        self.base, self.classes = base, classes
        self.time1, self.time2 = nn.Linear(base, emb), nn.Linear(emb, emb)
        self.class_emb = nn.Linear(classes + 1, emb, bias=False)
        self.conv_in = nn.Conv2d(channels, base, 3, padding=1)
        self.down, skip_ch, ch, res = nn.ModuleList(), [base], base, size
        for level, m in enumerate(mult):
            for _ in range(res_blocks):
                self.down.append(ResBlock(ch, base * m, emb, groups))
                ch = base * m
                if res == attn:
                    self.down.append(AttnBlock(ch, heads, groups))
                skip_ch.append(ch)
            if level + 1 < len(mult):
                self.down.append(nn.Conv2d(ch, ch, 3, stride=2, padding=1))
                skip_ch.append(ch)
                res //= 2
        self.mid = nn.ModuleList([ResBlock(ch, ch, emb, groups), AttnBlock(ch, heads, groups), ResBlock(ch, ch, emb, groups)])
        self.up = nn.ModuleList()
        for level in reversed(range(len(mult))):
            for _ in range(res_blocks + 1):
                self.up.append(ResBlock(ch + skip_ch.pop(), base * mult[level], emb, groups))
                ch = base * mult[level]
                if res == attn:
                    self.up.append(AttnBlock(ch, heads, groups))
            if level > 0:
                self.up.append(nn.Conv2d(ch, ch, 3, padding=1))
                res *= 2
        self.norm_out, self.conv_out = nn.GroupNorm(groups, ch), nn.Conv2d(ch, channels, 3, padding=1)

    def forward(self, x, t, y):
        half = self.base // 2
        f = torch.exp(-math.log(10000.0) * torch.arange(half, device=x.device) / half)
        arg = t[:, None].float() * f[None]
        e = self.time2(F.silu(self.time1(torch.cat([torch.cos(arg), torch.sin(arg)], 1))))
        e = e + self.class_emb(F.one_hot(y, self.classes + 1).float())
        h = self.conv_in(x)
        skips = [h]
        for i, m in enumerate(self.down):
            h = m(h, e) if isinstance(m, ResBlock) else m(h)
            nxt = self.down[i + 1] if i + 1 < len(self.down) else None
            if not isinstance(m, AttnBlock) and isinstance(nxt, AttnBlock):
                continue  # the skip is taken after the block's attention
            skips.append(h)
        h = self.mid[2](self.mid[1](self.mid[0](h, e)), e)
        for m in self.up:
            if isinstance(m, ResBlock):
                h = m(torch.cat([h, skips.pop()], 1), e)
            elif isinstance(m, AttnBlock):
                h = m(h)
            else:
                h = m(F.interpolate(h, scale_factor=2, mode="nearest"))
        return self.conv_out(F.silu(self.norm_out(h)))


def median_ms(fn, reps=20, warmup=5):
    for _ in range(warmup):
        fn()
    ev = []
    for _ in range(reps):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        fn()
        e.record()
        ev.append((s, e))
    torch.cuda.synchronize()
    return sorted(s.elapsed_time(e) for s, e in ev)[reps // 2]


def main():
    batch = int(sys.argv[1]) if len(sys.argv) > 1 else 128
    betas = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
    abar = torch.cumprod(1 - betas, 0).float().to(dev)
    for name, cfg in CONFIGS.items():
        size, channels = cfg[0], cfg[1]
        net = UNet(*cfg).to(dev).to(memory_format=torch.channels_last)
        ema = [p.detach().clone() for p in net.parameters()]
        opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=0.0)
        x0 = (torch.rand(batch, channels, size, size, device=dev) * 2 - 1).contiguous(memory_format=torch.channels_last)
        labels = torch.randint(0, 10, (batch,), device=dev)

        def train():
            t = torch.randint(0, 1000, (batch,), device=dev)
            y = torch.where(torch.rand(batch, device=dev) < 0.1, torch.full_like(labels, 10), labels)
            eps = torch.randn_like(x0)
            a = abar[t].view(-1, 1, 1, 1)
            loss = F.mse_loss(net(a.sqrt() * x0 + (1 - a).sqrt() * eps, t, y), eps)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            with torch.no_grad():
                torch._foreach_lerp_(ema, list(net.parameters()), 1 - 0.995)
            return loss.item()  # ours reads the loss back too

        @torch.no_grad()
        def sample():
            x = torch.randn_like(x0)
            t = torch.full((batch,), 999, device=dev)
            a = abar[999]
            e = 4.0 * net(x, t, labels) - 3.0 * net(x, t, torch.full_like(labels, 10))  # w = 3
            x0h = ((x - (1 - a).sqrt() * e) / a.sqrt()).clamp(-1, 1)
            return x0h  # DDIM (η = 0) to ᾱ_prev = 1: x_{t−1} = x̂_0

        print(f"{name}\ttrain\t{batch}\t{median_ms(train):.3f}", flush=True)
        print(f"{name}\tsample\t{batch}\t{median_ms(sample):.3f}", flush=True)


if __name__ == "__main__":
    main()
