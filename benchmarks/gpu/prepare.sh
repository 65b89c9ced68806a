#!/usr/bin/env bash
# Prepares, on a machine with Maven and a JDK, what the GPU machine (no Java,
# no Maven, no network) needs to run the JUnit CUDA tests: build/gpu-carry/
# with a jlink'd Java runtime, the library jars and the test classes, and
# the JUnit console launcher. Carry it with the device tool's `carry`
# (build/gpu-carry, well under its 64 MiB), then run benchmarks/gpu/verify.sh
# there. The CUDA tests need no libtorch, so it is not carried.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out=build/gpu-carry
rm -rf "$out"
mkdir -p "$out/lib"

mvn -B -q -DskipTests package
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
du -sh "$out" "$out/jre"
