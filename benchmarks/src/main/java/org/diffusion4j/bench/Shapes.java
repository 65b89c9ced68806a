package org.diffusion4j.bench;

import java.util.Arrays;

/** Benchmark shape parameters written as "NxHxWxC" (NHWC) or a plain element count. */
final class Shapes {
    private Shapes() {}

    static int[] parse(String s) {
        return Arrays.stream(s.split("x")).mapToInt(Integer::parseInt).toArray();
    }

    static long numel(String s) {
        long n = 1;
        for (int d : parse(s)) {
            n *= d;
        }
        return n;
    }

    static long[] longs(int[] dims) {
        return Arrays.stream(dims).asLongStream().toArray();
    }
}
