/*
 * backend_cpu.h — how the op front doors (native/src/ops) reach the CPU
 * kernels. Each kernel file in native/src/cpu is compiled twice, for AVX2+FMA
 * and for generic x86-64, and D4J_CPU(name) gives each build its own symbol
 * (d4j_cpu_<name>_avx2 / _generic). An op's kernel contract
 * (native/src/core/<op>.h) declares both with D4J_CPU_DECLARE; its front door
 * calls D4J_CPU_DISPATCH(name)(...), which picks the build for this CPU.
 * Kernels cannot fail: the front door validates before calling.
 */
#ifndef D4J_BACKEND_CPU_H
#define D4J_BACKEND_CPU_H

#include <stdint.h>

/* 1 when the AVX2+FMA build runs (CPU has both and D4J_CPU_ISA != generic). */
int d4j_cpu_use_avx2(void);

#define D4J_CPU_CAT2(a, b) a##_##b
#define D4J_CPU_CAT(a, b) D4J_CPU_CAT2(a, b)
/* Inside native/src/cpu: this build's symbol for kernel `name`. */
#define D4J_CPU(name) D4J_CPU_CAT(d4j_cpu_##name, D4J_CPU_SUFFIX)

#define D4J_CPU_DECLARE(ret, name, params) \
    ret d4j_cpu_##name##_avx2 params;      \
    ret d4j_cpu_##name##_generic params;

#define D4J_CPU_DISPATCH(name) (d4j_cpu_use_avx2() ? d4j_cpu_##name##_avx2 : d4j_cpu_##name##_generic)

/* Below this many elements a kernel runs on one thread: forking costs more. */
#define D4J_CPU_PARALLEL_MIN 32768

#endif /* D4J_BACKEND_CPU_H */
