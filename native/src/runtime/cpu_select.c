/*
 * cpu_select.c — whether the AVX2+FMA kernel build runs: when the CPU has both.
 * D4J_CPU_ISA=generic in the environment forces the portable build (tests run
 * both, and a user can rule out an ISA-specific problem).
 */
#include <stdlib.h>
#include <string.h>

#include "backend_cpu.h"

int d4j_cpu_use_avx2(void) {
    static int chosen = -1; /* racing first calls store the same value */
    int v = __atomic_load_n(&chosen, __ATOMIC_ACQUIRE);
    if (v < 0) {
        __builtin_cpu_init();
        const char* forced = getenv("D4J_CPU_ISA");
        v = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
            !(forced && strcmp(forced, "generic") == 0);
        __atomic_store_n(&chosen, v, __ATOMIC_RELEASE);
    }
    return v;
}
