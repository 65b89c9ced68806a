#!/usr/bin/env bash
# Runs on the GPU machine (issue 6): builds libd4j and bench_kernels with nvcc
# for sm_90 (reusing build/gpu from verify.sh when present), times our CUDA
# kernels (bench_kernels.c, CUDA events on the context's stream) and the same
# work in PyTorch eager (bench_torch.py), and writes $OUT/kernels-gpu.md with
# each row's ratio and its fraction of the measured copy bandwidth and matmul
# throughput. The whole-step (U-Net) comparison on the GPU is not in here yet.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out="${OUT:-out/gpu}"
mkdir -p "$out"
nvidia-smi > "$out/perf-device.txt" 2>&1
if [ ! -x build/gpu/bench_kernels ]; then
    cmake -S . -B build/gpu -DCMAKE_BUILD_TYPE=Release -DD4J_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 > "$out/perf-configure.txt" 2>&1
    cmake --build build/gpu -j "$(nproc)" --target bench_kernels > "$out/perf-build.txt" 2>&1 || { echo "build failed"; exit 1; }
fi
build/gpu/bench_kernels > "$out/ours.tsv" 2> "$out/ours-stderr.txt" || { echo "bench_kernels failed:"; cat "$out/ours-stderr.txt"; exit 1; }
python3 benchmarks/gpu/bench_torch.py "$out/ours.tsv" > "$out/kernels-gpu.md" 2> "$out/torch-stderr.txt" \
    || { echo "bench_torch failed:"; tail -20 "$out/torch-stderr.txt"; exit 1; }
cat "$out/kernels-gpu.md"
