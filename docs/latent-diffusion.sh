#!/usr/bin/env bash
# The latent-diffusion comparison of docs/latent-diffusion.md on Fashion-MNIST: the KL autoencoder
# (d4j train-autoencoder, 3 epochs) scored as a VAE, then pixel-space and latent-space diffusion
# trained for the same wall-clock budget (the main job's 10 minutes each, everything else at the
# defaults), each scored by d4j evaluate at N images: DDIM 50 steps with guidance w = 3 (the main
# job's sampler) and DDPM 250 steps with w = 0; the seconds column / N is the sampling time per image.
# Usage: bash docs/latent-diffusion.sh [OUT] [N] [MINUTES]     defaults: out/latent-diffusion, 250, 10
#   D4J='java -jar FILE.jar' runs a fixed build instead of ./d4j (which rebuilds when sources change)
# Each step whose output exists is skipped (delete it to redo it); run the trainings on an otherwise idle
# machine, since their budget is wall-clock time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:-out/latent-diffusion}
n=${2:-250}
minutes=${3:-10}
d4j=${D4J:-./d4j}
export OMP_WAIT_POLICY=passive
ae="$out/autoencoder.safetensors"
mkdir -p "$out"
[ -f "$ae" ] || $d4j train-autoencoder --out "$ae" --quiet
[ -f "$out/pixel/checkpoint.safetensors" ] || $d4j train --minutes "$minutes" --out "$out/pixel" --quiet
[ -f "$out/latent/checkpoint.safetensors" ] || $d4j train --minutes "$minutes" --latent "$ae" --out "$out/latent" --quiet
[ -f "$out/eval/autoencoder/results.md" ] ||
  $d4j evaluate --autoencoder "$ae" --n "$n" --bpd --out "$out/eval/autoencoder" --quiet
for space in pixel latent; do
  ckpt="$out/$space/checkpoint.safetensors"
  [ -f "$out/eval/$space-ddim/results.md" ] ||
    $d4j evaluate --checkpoint "$ckpt" --n "$n" --guidance 3 --out "$out/eval/$space-ddim" --quiet
  [ -f "$out/eval/$space-ddpm/results.md" ] ||
    $d4j evaluate --checkpoint "$ckpt" --n "$n" --guidance 0 --ddpm-steps 250 --out "$out/eval/$space-ddpm" --quiet
done
# the diffusion bound of the pixel model beside the VAE's (200 test images, 20 timestep strata, as docs/improved-ddpm.md)
[ -f "$out/eval/pixel-bound/results.md" ] ||
  $d4j evaluate --checkpoint "$out/pixel/checkpoint.safetensors" --n 8 --steps 2 --bpd --bpd-images 200 \
    --bpd-strata 20 --out "$out/eval/pixel-bound" --quiet
# grids, a row per class (DDIM 50, w = 3: the main job's sample command)
for space in pixel latent; do
  [ -f "$out/samples/$space/grid.png" ] ||
    $d4j sample --checkpoint "$out/$space/checkpoint.safetensors" --out "$out/samples/$space" --quiet
done
# the VAE baseline with a larger KL weight (one epoch): a better generative model, a worse compressor
[ -f "$out/vae-beta0.1.safetensors" ] || $d4j train-autoencoder --beta 0.1 --epochs 1 --out "$out/vae-beta0.1.safetensors" --quiet
[ -f "$out/eval/vae-beta0.1/results.md" ] ||
  $d4j evaluate --autoencoder "$out/vae-beta0.1.safetensors" --n "$n" --bpd --out "$out/eval/vae-beta0.1" --quiet
