/*
 * backend_cpu.h — how the op front doors (native/src/ops) reach the CPU
 * kernels. Each kernel file in native/src/cpu is compiled three times, for
 * AVX-512 (F/BW/VL/DQ + BF16, with FMA), for AVX2+FMA and for generic x86-64,
 * and D4J_CPU(name) gives each build its own symbol (d4j_cpu_<name>_avx512 /
 * _avx2 / _generic). An op's kernel contract (native/src/core/<op>.h) declares
 * all three with D4J_CPU_DECLARE; its front door calls
 * D4J_CPU_DISPATCH(name)(...), which picks the build for this CPU.
 * Kernels cannot fail: the front door validates before calling.
 */
#ifndef D4J_BACKEND_CPU_H
#define D4J_BACKEND_CPU_H

#include <stdint.h>

/* The kernel build that runs on this CPU. */
enum { D4J_CPU_GENERIC = 0, D4J_CPU_AVX2 = 1, D4J_CPU_AVX512 = 2 };
/* The best build this CPU supports, lowered by D4J_CPU_ISA=avx2|generic in the environment
 * (=avx512 keeps the AVX-512 build and rules out AMX: d4j_cpu_amx)
 * (tests run every build; a user can rule out an ISA-specific problem). */
int d4j_cpu_level(void);
/* (d4j_cpu_amx() of d4j.h, in cpu_select.c: whether the bf16 convolutions may use AMX tiles.) */

#define D4J_CPU_CAT2(a, b) a##_##b
#define D4J_CPU_CAT(a, b) D4J_CPU_CAT2(a, b)
/* Inside native/src/cpu: this build's symbol for kernel `name`. */
#define D4J_CPU(name) D4J_CPU_CAT(d4j_cpu_##name, D4J_CPU_SUFFIX)

#define D4J_CPU_DECLARE(ret, name, params) \
    ret d4j_cpu_##name##_avx512 params;    \
    ret d4j_cpu_##name##_avx2 params;      \
    ret d4j_cpu_##name##_generic params;

#define D4J_CPU_DISPATCH(name)                                                                        \
    (d4j_cpu_level() == D4J_CPU_AVX512 ? d4j_cpu_##name##_avx512                                     \
                                       : d4j_cpu_level() == D4J_CPU_AVX2 ? d4j_cpu_##name##_avx2 \
                                                                         : d4j_cpu_##name##_generic)

/* Below this many elements a kernel runs on one thread: forking costs more. */
#define D4J_CPU_PARALLEL_MIN 32768

#endif /* D4J_BACKEND_CPU_H */
