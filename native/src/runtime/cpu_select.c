/*
 * cpu_select.c — which CPU kernel build runs: the best one the CPU supports
 * (AVX-512 needs F, BW, VL, DQ and BF16; AVX2 needs AVX2 and FMA), and whether
 * the bf16 convolutions may use AMX tiles. D4J_CPU_ISA=avx512, =avx2 or
 * =generic in the environment lowers the choice (tests run every build, and a
 * user can rule out an ISA-specific problem); it never raises it past what the
 * CPU has.
 */
#include <cpuid.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "backend_cpu.h"
#include "d4j.h"

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

/* AMX-TILE and AMX-BF16 (CPUID.7.0:EDX bits 24, 22), the OS saving the tile state (XCR0 bits 17, 18),
 * and Linux's per-process permission for it (arch_prctl ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA = 18;
 * granted once for every thread of the process, refused where a thread's signal stack is too small). */
static int amx_granted(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !((c >> 27) & 1u)) return 0; /* OSXSAVE: XGETBV usable */
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if (((lo >> 17) & 3u) != 3u) return 0;
#if defined(__linux__) && defined(SYS_arch_prctl)
    return syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XFEATURE_XTILEDATA */) == 0;
#else
    return 0;
#endif
}

int32_t d4j_cpu_amx(void) {
    static int chosen = -1;
    int v = __atomic_load_n(&chosen, __ATOMIC_ACQUIRE);
    if (v < 0) {
        const char* forced = getenv("D4J_CPU_ISA");
        v = d4j_cpu_level() == D4J_CPU_AVX512 && !(forced && strcmp(forced, "avx512") == 0);
        if (v) {
            unsigned a, b, c, d;
            v = __get_cpuid_count(7, 0, &a, &b, &c, &d) && ((d >> 22) & 1u) && ((d >> 24) & 1u) && amx_granted();
        }
        __atomic_store_n(&chosen, v, __ATOMIC_RELEASE); /* racing first calls ask twice; a grant is idempotent */
    }
    return v;
}
