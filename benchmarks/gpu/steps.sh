#!/usr/bin/env bash
# Runs on the GPU machine (issue 6), with build/gpu-carry from prepare.sh:
# whole U-Net steps — a training step and a guided DDIM step of the
# Fashion-MNIST and CIFAR-10 presets at batch 128 — ours through JMH on the
# carried Java runtime (UNetStepBenchmark's trainOurs/sampleOurs with
# -p device=cuda:0) and PyTorch eager's twin (bench_unet_torch.py), into
# $OUT/steps-gpu.md. Never run on a GPU yet.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out="${OUT:-out/gpu}"
carry=build/gpu-carry
mkdir -p "$out"
[ -x "$carry/jre/bin/java" ] || tar -C "$carry" -xJf "$carry/jre.tar.xz"
cp=$(ls "$carry"/lib/*.jar | grep -v junit-platform-console | tr '\n' ':')
"$carry/jre/bin/java" -cp "$cp$carry/bench-classes" org.openjdk.jmh.Main 'UNetStepBenchmark\.(train|sample)Ours' \
    -p device="${D4J_DEVICE:-cuda:0}" -p model="${D4J_MODELS:-fashion-mnist,cifar10}" -p batch="${D4J_BATCH:-128}" -wi 3 -i 10 -r 1 -f 1 \
    -rf json -rff "$out/steps-ours.json" > "$out/steps-ours.txt" 2>&1 || { echo "JMH failed:"; tail -30 "$out/steps-ours.txt"; exit 1; }
python3 benchmarks/gpu/bench_unet_torch.py 128 > "$out/steps-torch.tsv" 2> "$out/steps-torch-stderr.txt" \
    || { echo "bench_unet_torch failed:"; tail -20 "$out/steps-torch-stderr.txt"; exit 1; }
python3 - "$out" <<'PY' > "$out/steps-gpu.md"
import json, sys
out = sys.argv[1]
ours = {}
for r in json.load(open(f"{out}/steps-ours.json")):
    step = "train" if r["benchmark"].endswith("trainOurs") else "sample"
    ours[(r["params"]["model"], step)] = (float(r["primaryMetric"]["score"]), float(r["primaryMetric"]["scoreError"]))
print("# Whole U-Net steps on the GPU, batch 128\n")
print("Ours: JMH (AverageTime, 3 warm-up + 10 × 1 s) through the carried Java runtime; PyTorch eager: CUDA events,")
print("median of 20 after 5 warm-up runs, channels-last, cuDNN/TF32 defaults. Command: `OUT=... bash benchmarks/gpu/steps.sh`.\n")
print("| model | step | ours ms | PyTorch ms | ours / PyTorch time |\n|---|---|---|---|---|")
for line in open(f"{out}/steps-torch.tsv"):
    model, step, batch, ms = line.split("\t")
    o, err = ours[(model, step)]
    print(f"| {model} | {step} | {o:.2f} ± {err:.2f} | {float(ms):.2f} | {o / float(ms):.2f} |")
PY
cat "$out/steps-gpu.md"
