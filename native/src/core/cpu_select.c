/*
 * cpu_select.c — picks the AVX2+FMA kernel table when the CPU has both.
 * D4J_CPU_ISA=generic in the environment forces the portable build (tests
 * run both, and a user can rule out an ISA-specific problem).
 */
#include <stdlib.h>
#include <string.h>

#include "backend_cpu.h"

extern const d4j_cpu_kernels d4j_cpu_kernels_avx2;
extern const d4j_cpu_kernels d4j_cpu_kernels_generic;

const d4j_cpu_kernels* d4j_cpu(void) {
    static const d4j_cpu_kernels* chosen; /* racing first calls store the same value */
    const d4j_cpu_kernels* k = __atomic_load_n(&chosen, __ATOMIC_ACQUIRE);
    if (!k) {
        __builtin_cpu_init();
        const char* forced = getenv("D4J_CPU_ISA");
        int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                   !(forced && strcmp(forced, "generic") == 0);
        k = avx2 ? &d4j_cpu_kernels_avx2 : &d4j_cpu_kernels_generic;
        __atomic_store_n(&chosen, k, __ATOMIC_RELEASE);
    }
    return k;
}
