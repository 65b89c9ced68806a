#!/usr/bin/env bash
# Prepares, on a machine with Maven, a JDK and nvcc, what the GPU machine (no
# Java, no Maven, no network) needs: build/gpu-carry/ with a jlink'd Java
# runtime, the library jars and the test and benchmark classes, the JUnit
# console launcher, and native/ — libd4j.so built here with nvcc (sm_80 and
# sm_90 code, compute_90 PTX), the native test binaries with tests.tsv (name,
# environment, binary, as ctest runs them), bench_kernels and libgomp. Carry it
# with the device tool's `carry` (build/gpu-carry; the script prints its size,
# which must stay under 64 MiB with the working tree; the runtime travels as
# jre.tar.xz), then run benchmarks/gpu/lease.sh there. The CUDA tests need no libtorch, so it is not
# carried.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out=build/gpu-carry
rm -rf "$out"
mkdir -p "$out/lib"

mvn -B -q -DskipTests -Dd4j.cuda=ON package
cp java/target/diffusion4j-*.jar "$out/lib/"
# the library brings slf4j-api only; the logging binding comes with the benchmarks
cp java/target/lib/javacpp-*.jar benchmarks/target/lib/slf4j-*.jar "$out/lib/"
cp -r tests/target/test-classes "$out/test-classes"
# the whole-step JMH benchmarks (steps.sh): our side only, so libtorch is left behind
cp -r benchmarks/target/classes "$out/bench-classes"
cp benchmarks/target/lib/jmh-core-*.jar benchmarks/target/lib/jopt-simple-*.jar benchmarks/target/lib/commons-math3-*.jar \
   "$out/lib/"
mvn -B -q dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:1.11.4 \
    -DoutputDirectory="$out/lib"

# jdk.unsupported: JavaCPP's Unsafe; java.desktop: ImageIO (PNG grids); java.management: JMH later
jlink --add-modules java.base,java.logging,java.desktop,jdk.unsupported,java.management \
      --strip-debug --no-header-files --no-man-pages --compress=2 --output "$out/jre"
# the runtime travels as one xz archive (about 25 MB instead of 49), unpacked by lease.sh there
strip --strip-unneeded "$out/jre/lib/server/libjvm.so"
tar -C "$out" -cf - jre | xz -T0 -6 > "$out/jre.tar.xz"
rm -rf "$out/jre"
# the native side, as built by the package above (java/target/native, CUDA on): the tests run from
# their binaries with LD_LIBRARY_PATH (their RUNPATH names this checkout), as ctest would run them
nat=java/target/native
mkdir -p "$out/native/tests"
cp "$nat/libd4j.so" "$nat/bench_kernels" "$out/native/"
cp "$nat"/tests/native/test_* "$out/native/tests/"
cp "$(gcc -print-file-name=libgomp.so.1)" "$out/native/"
python3 - "$nat/tests/native/CTestTestfile.cmake" > "$out/native/tests.tsv" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
for m in re.finditer(r'add_test\(\[=\[(\w+)\]=\] "([^"]+)"\)\s*set_tests_properties\(\[=\[\1\]=\] PROPERTIES (.*?)\)\n', text, re.S):
    env = re.search(r'ENVIRONMENT "([^"]*)"', m.group(3))
    print(f"{m.group(1)}\t{env.group(1) if env else '-'}\t{m.group(2).rsplit('/', 1)[1]}")
PY
[ -s "$out/native/tests.tsv" ] || { echo "prepare.sh: no tests found in CTestTestfile.cmake"; exit 1; }
du -sh "$out" "$out/jre.tar.xz" "$out/native"
