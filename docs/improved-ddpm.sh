#!/usr/bin/env bash
# The improved-DDPM comparison of docs/improved-ddpm.md: Fashion-MNIST, equal training budget
# (2000 steps, batch 32, seed 0), L_simple with fixed beta-tilde versus L_hybrid with learned Sigma,
# each scored by d4j evaluate: test-set bits/dim and DDPM FID/accuracy on chains respaced to S steps.
# Usage: bash docs/improved-ddpm.sh [OUT] [SCHEDULES] [N] [STEPS]
#   defaults: out/improved-ddpm, "linear", 250, 25,50,100
#   D4J='java -jar FILE.jar' runs a fixed build instead of ./d4j (which rebuilds when sources change)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:-out/improved-ddpm}
schedules=${2:-linear}
n=${3:-250}
steps=${4:-25,50,100}
d4j=${D4J:-./d4j}
export OMP_WAIT_POLICY=passive # the machine's two cores may be shared
for sched in $schedules; do
  for variance in fixed_beta_tilde learned; do
    run="$out/$sched-$variance"
    # a checkpoint there (an interrupted run's too) is continued to 2000 steps; a finished one trains no more
    resume=""
    [ -f "$run/checkpoint.safetensors" ] && resume=--resume
    $d4j train --steps 2000 --schedule "$sched" --variance "$variance" --out "$run" --quiet $resume
    # a model already scored is not scored again (delete its eval/ to redo it)
    [ -f "$run/eval/results.md" ] ||
      $d4j evaluate --checkpoint "$run/checkpoint.safetensors" --guidance 0 --n "$n" --ddpm-steps "$steps" \
        --bpd --bpd-images 200 --bpd-strata 20 --out "$run/eval" --quiet
  done
done
