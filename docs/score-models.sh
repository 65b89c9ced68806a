#!/usr/bin/env bash
# The score-model comparison of docs/score-models.md: Fashion-MNIST at an equal training budget
# (2000 steps, batch 32, seed 0): a DDPM (linear schedule, eps, fixed beta-tilde) and a
# noise-conditional score network (NCSN: sigma_1 by NCSNv2 technique 1, L by technique 2,
# sigma_L = 0.02), the same U-Net. d4j evaluate scores N images of each (guidance 0, seed 0):
# DDPM on chains of 250, 500 and 1000 steps and predictor-corrector (250 DDPM steps, each after one
# Langevin corrector step, snr 0.16: 500 network evaluations), NCSN by annealed Langevin dynamics
# (T = 5 steps per level, technique 4's step size, the denoising step: 496 network evaluations).
# Usage: bash docs/score-models.sh [OUT] [N]     defaults: out/score-models, 250
#   D4J='java -jar FILE.jar' runs a fixed build instead of ./d4j (which rebuilds when sources change)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:-out/score-models}
n=${2:-250}
d4j=${D4J:-./d4j}
export OMP_WAIT_POLICY=passive # the machine's two cores may be shared

train() { # a checkpoint there (an interrupted run's too) is continued to 2000 steps; a finished one trains no more
  local run=$1; shift
  local resume=""
  [ -f "$run/checkpoint.safetensors" ] && resume=--resume
  $d4j train --steps 2000 "$@" --out "$run" --quiet $resume
}
evaluate() { # a row set already scored is not scored again (delete its folder to redo it)
  local dir=$1; shift
  [ -f "$dir/results.md" ] || $d4j evaluate --guidance 0 --n "$n" "$@" --out "$dir" --quiet
}

train "$out/ddpm" --variance fixed_beta_tilde
train "$out/ncsn" --model ncsn
evaluate "$out/eval/ddpm" --checkpoint "$out/ddpm/checkpoint.safetensors" --ddpm-steps 500,1000
evaluate "$out/eval/ddpm-pc" --checkpoint "$out/ddpm/checkpoint.safetensors" --ddpm-steps 250 --corrector-steps 1
evaluate "$out/eval/ddpm-250" --checkpoint "$out/ddpm/checkpoint.safetensors" --ddpm-steps 250
evaluate "$out/eval/ncsn" --checkpoint "$out/ncsn/checkpoint.safetensors"
# a grid of the NCSN's samples, a row per class (annealed Langevin as above, w = 0)
[ -f "$out/samples/ncsn/grid.png" ] || $d4j sample --checkpoint "$out/ncsn/checkpoint.safetensors" --guidance 0 \
  --out "$out/samples/ncsn" --quiet
