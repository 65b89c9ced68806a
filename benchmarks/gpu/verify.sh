#!/usr/bin/env bash
# Runs on the GPU machine (repository root, build/gpu-carry carried from
# benchmarks/gpu/prepare.sh): builds libd4j with nvcc for sm_90, runs the
# native tests (the CUDA-vs-CPU comparisons included), compute-sanitizer
# memcheck, racecheck and synccheck over the CUDA tests, and the JUnit CUDA
# tests (every *Cuda*Test class) with the carried runtime. Results go to $OUT
# (or out/gpu): device facts, every command's full output, a summary.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out="${OUT:-out/gpu}"
mkdir -p "$out"
status=0
run() { # name, command...: runs, keeps the output, records the exit status
    local name=$1; shift
    echo "== $name: $*" | tee -a "$out/summary.txt"
    "$@" > "$out/$name.txt" 2>&1
    local rc=$?
    echo "   exit $rc" | tee -a "$out/summary.txt"
    [ $rc -eq 0 ] || status=1
}

run device nvidia-smi
run nvcc nvcc --version
run configure cmake -S . -B build/gpu -DCMAKE_BUILD_TYPE=Release -DD4J_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90
run build cmake --build build/gpu -j "$(nproc)"
run ctest bash -c "cd build/gpu && ctest --output-on-failure"
run test_cuda build/gpu/tests/native/test_cuda
for tool in memcheck racecheck synccheck; do
    run "sanitizer-$tool" compute-sanitizer --tool "$tool" --error-exitcode 3 build/gpu/tests/native/test_cuda
done
run sanitizer-memcheck-conv compute-sanitizer --tool memcheck --error-exitcode 3 build/gpu/tests/native/test_conv2d

carry=build/gpu-carry
[ -x "$carry/jre/bin/java" ] || [ ! -f "$carry/jre.tar.xz" ] || tar -C "$carry" -xJf "$carry/jre.tar.xz"
if [ -x "$carry/jre/bin/java" ]; then
    # the JUnit tests load the library packaged by prepare.sh (sm_80 and sm_90 code, compute_90 PTX);
    # the log line of org.diffusion4j.internal.Native says which file
    cp=$(ls "$carry"/lib/*.jar | grep -v junit-platform-console | tr '\n' ':')
    run junit-cuda "$carry/jre/bin/java" -jar "$carry"/lib/junit-platform-console-standalone-*.jar \
        execute --class-path "$cp$carry/test-classes" \
        --include-classname '.*Cuda.*Test' --scan-class-path --details=tree --disable-banner
else
    echo "== junit-cuda: skipped, no carried runtime at $carry (run benchmarks/gpu/prepare.sh first)" | tee -a "$out/summary.txt"
fi
echo "overall exit $status" | tee -a "$out/summary.txt"
exit $status
