#!/usr/bin/env bash
# The classifier-guidance table of docs/classifier-guidance.md: Fashion-MNIST, equal training
# budget (2000 steps, batch 32, seed 0) for an unconditional and a class-conditional U-Net, a
# noise-conditional classifier (2 epochs), and d4j evaluate's FID/accuracy/precision/recall
# against the classifier scale s (unconditional model) and the classifier-free weight w
# (conditional model), all with DDIM 50 steps at N images beside the floor.
# Usage: bash docs/classifier-guidance.sh [OUT] [N] [SCALES] [WEIGHTS]
#   defaults: out/classifier-guidance, 250, 0,1,2,5,10,20,40, "0 1 3"
#   D4J='java -jar FILE.jar' runs a fixed build instead of ./d4j (which rebuilds when sources change)
#   COND=FILE scores that class-conditional checkpoint instead of training one
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:-out/classifier-guidance}
n=${2:-250}
scales=${3:-0,1,2,5,10,20,40}
weights=${4:-0 1 3}
d4j=${D4J:-./d4j}
export OMP_WAIT_POLICY=passive # the machine's two cores may be shared
[ -f "$out/unconditional/checkpoint.safetensors" ] ||
  $d4j train --unconditional --steps 2000 --out "$out/unconditional" --quiet
[ -f "$out/noisy-classifier.safetensors" ] ||
  $d4j train-noisy-classifier --epochs 2 --out "$out/noisy-classifier.safetensors" --quiet
cond=${COND:-$out/conditional/checkpoint.safetensors}
[ -f "$cond" ] || $d4j train --steps 2000 --out "$(dirname "$cond")" --quiet
$d4j evaluate --checkpoint "$out/unconditional/checkpoint.safetensors" --guidance 0 --sampler ddim --steps 50 \
  --guidance-classifier "$out/noisy-classifier.safetensors" --classifier-scales "$scales" --n "$n" \
  --out "$out/eval-classifier" --quiet
for w in $weights; do
  $d4j evaluate --checkpoint "$cond" --guidance "$w" --sampler ddim --steps 50 --n "$n" --out "$out/eval-cfg-w$w" --quiet
done
