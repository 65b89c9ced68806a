/*
 * cpu_select.c — which CPU kernel build runs: the best one the CPU supports
 * (AVX-512 needs F, BW, VL, DQ and BF16; AVX2 needs AVX2 and FMA).
 * D4J_CPU_ISA=avx2 or =generic in the environment lowers the choice (tests run
 * every build, and a user can rule out an ISA-specific problem); it never
 * raises it past what the CPU has.
 */
#include <stdlib.h>
#include <string.h>

#include "backend_cpu.h"

static int supported_level(void) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return D4J_CPU_GENERIC;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bf16"))
        return D4J_CPU_AVX512;
    return D4J_CPU_AVX2;
}

int d4j_cpu_level(void) {
    static int chosen = -1; /* racing first calls store the same value */
    int v = __atomic_load_n(&chosen, __ATOMIC_ACQUIRE);
    if (v < 0) {
        v = supported_level();
        const char* forced = getenv("D4J_CPU_ISA");
        if (forced && strcmp(forced, "generic") == 0) v = D4J_CPU_GENERIC;
        if (forced && strcmp(forced, "avx2") == 0 && v > D4J_CPU_AVX2) v = D4J_CPU_AVX2;
        __atomic_store_n(&chosen, v, __ATOMIC_RELEASE);
    }
    return v;
}
