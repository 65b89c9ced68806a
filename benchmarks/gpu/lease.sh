#!/usr/bin/env bash
# The whole GPU lease (issue 18) in one run of at most ~9 minutes, on the GPU machine, with
# build/gpu-carry from benchmarks/gpu/prepare.sh carried:
#   1 device    nvidia-smi, driver, nvcc, PyTorch
#   2 native    every native test (CUDA-vs-CPU comparisons included) from the carried binaries;
#               if they cannot start there (other system libraries), libd4j and the tests are built
#               there with nvcc for sm_90 and run through ctest instead
#   3 junit     the JUnit CUDA tests (*Cuda*Test, Device.cuda(0)) on the carried Java runtime
#   4 sanitizer compute-sanitizer memcheck over test_cuda and test_cuda_classifier_ops, racecheck
#               and synccheck over test_cuda (shared-memory reductions), each capped
#   5 kernels   bench_kernels (CUDA events) beside bench_torch.py -> kernels-gpu.md
#   6 steps     whole U-Net steps, ours (JMH) beside PyTorch eager -> steps-gpu.md
# Every stage has a time cap and prints one summary line. What comes back from $OUT is at most 8
# files, so: summary.txt, kernels-gpu.md, steps-gpu.md, and logs.tar.gz with every log.
# Rehearsal without a GPU: D4J_REHEARSE=1 OUT=/tmp/lease bash benchmarks/gpu/lease.sh (the GPU
# stages then say what they could not do; the runtime, classes and scripts are still exercised).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out="${OUT:-out/gpu}"
mkdir -p "$out"
logs=$(mktemp -d)
carry=build/gpu-carry
nat=$carry/native
summary="$out/summary.txt"
: > "$summary"
export LD_LIBRARY_PATH="$PWD/$nat${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export OMP_WAIT_POLICY=passive
start=$(date +%s)
deadline=$(( start + ${D4J_LEASE_SECONDS:-520} )) # the whole run ends by then, whatever hangs

say() { echo "$*" | tee -a "$summary"; }
# stage NAME CAP_SECONDS COMMAND...: runs capped (and within the deadline), keeps the output in
# logs, prints one summary line
stage() {
    local name=$1 cap=$2; shift 2
    local t0; t0=$(date +%s)
    local left=$(( deadline - t0 ))
    if [ $left -lt 10 ]; then
        say "$(printf '%-30s skipped: the run is out of time' "$name")"
        return 1
    fi
    [ $cap -le $left ] || cap=$left
    timeout --kill-after=10 "$cap" "$@" > "$logs/$name.txt" 2>&1
    local rc=$?
    local note=""
    [ $rc -eq 124 ] || [ $rc -eq 137 ] && note=" (hit its ${cap} s cap)"
    say "$(printf '%-30s exit %3d  %4d s%s' "$name" "$rc" "$(( $(date +%s) - t0 ))" "$note")"
    return $rc
}

say "lease.sh $(date -u +%FT%TZ) on $(hostname)"
[ -x "$carry/jre/bin/java" ] || tar -C "$carry" -xJf "$carry/jre.tar.xz" || say "could not unpack $carry/jre.tar.xz"
# --- 1 device ---
stage device 20 bash -c 'nvidia-smi; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv; nvcc --version; python3 -c "import torch; print(\"torch\", torch.__version__, torch.version.cuda, torch.cuda.is_available())"; uname -a; ldd '"$nat"'/libd4j.so'
grep -m1 -E "Driver Version" "$logs/device.txt" | tee -a "$summary"

stage scripts-parse 20 python3 -m py_compile benchmarks/gpu/bench_torch.py benchmarks/gpu/bench_unet_torch.py

# --- 2 native tests ---
native_tests() { # runs tests.tsv from dir $1; exit 77 is a skip (no GPU)
    local dir=$1 fails=0 skips=0 passes=0
    while IFS=$'\t' read -r name env bin; do
        if [ "$env" = "-" ]; then "$dir/$bin" > "$logs/native-$name.txt" 2>&1; else env "$env" "$dir/$bin" > "$logs/native-$name.txt" 2>&1; fi
        case $? in
            0) passes=$((passes + 1));;
            77) skips=$((skips + 1)); echo "SKIP $name";;
            *) fails=$((fails + 1)); echo "FAIL $name"; tail -5 "$logs/native-$name.txt";;
        esac
    done < "$nat/tests.tsv"
    echo "native: $passes passed, $skips skipped, $fails failed"
    [ $fails -eq 0 ]
}
export -f native_tests
export logs nat
if ! ldd "$nat/libd4j.so" "$nat/tests/test_cuda" | grep -q "not found"; then
    stage native 60 bash -c "native_tests $nat/tests"
else # the carried binaries cannot load there: build with nvcc there
    say "native: carried binaries do not start there; building with nvcc for sm_90"
    stage native-build 200 bash -c 'cmake -S . -B build/gpu -DCMAKE_BUILD_TYPE=Release -DD4J_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 && cmake --build build/gpu -j "$(nproc)"'
    stage native 90 bash -c 'cd build/gpu && ctest --output-on-failure'
    nat=build/gpu
fi
tail -1 "$logs/native.txt" | tee -a "$summary"

# --- 3 JUnit CUDA tests ---
cp=$(ls "$carry"/lib/*.jar | grep -v junit-platform-console | tr '\n' ':')
stage junit-cuda 120 "$carry/jre/bin/java" -jar "$carry"/lib/junit-platform-console-standalone-*.jar execute \
    --class-path "$cp$carry/test-classes" --include-classname '.*Cuda.*Test' --scan-class-path --details=tree \
    --disable-banner
say "junit: $(grep -E '^\[ +[0-9]+ tests (successful|failed|skipped|aborted) +\]' "$logs/junit-cuda.txt" | tr -s ' []' ' ' | tr '\n' ',')"

# --- 4 compute-sanitizer ---
tests_dir=$nat/tests
[ -d "$tests_dir" ] || tests_dir=build/gpu/tests/native
if command -v compute-sanitizer > /dev/null; then
    stage sanitizer-memcheck 45 compute-sanitizer --tool memcheck --error-exitcode 3 "$tests_dir/test_cuda"
    stage sanitizer-memcheck-classifier 25 compute-sanitizer --tool memcheck --error-exitcode 3 "$tests_dir/test_cuda_classifier_ops"
    stage sanitizer-racecheck 45 compute-sanitizer --tool racecheck --error-exitcode 3 "$tests_dir/test_cuda"
    stage sanitizer-synccheck 30 compute-sanitizer --tool synccheck --error-exitcode 3 "$tests_dir/test_cuda"
    for f in "$logs"/sanitizer-*.txt; do say "  $(basename "$f" .txt): $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY|error' "$f" | tail -1)"; done
else
    say "sanitizer: compute-sanitizer not on the PATH"
fi

# --- 5 kernels beside PyTorch ---
bench=$nat/bench_kernels
[ -x "$bench" ] || bench=build/gpu/bench_kernels
stage kernels-ours 45 bash -c "'$bench' > '$logs/ours.tsv'"
stage kernels-torch 60 bash -c "python3 benchmarks/gpu/bench_torch.py '$logs/ours.tsv' > '$logs/kernels-gpu.md'" \
    && cp "$logs/kernels-gpu.md" "$out/kernels-gpu.md"

# --- 6 whole U-Net steps ---
stage steps 120 env OUT="$logs/steps" bash benchmarks/gpu/steps.sh && cp "$logs/steps/steps-gpu.md" "$out/steps-gpu.md"

say "total $(( $(date +%s) - start )) s"
tar -czf "$out/logs.tar.gz" -C "$logs" .
rm -rf "$logs"
