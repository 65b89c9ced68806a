/*
 * backend_cpu.h — the CPU kernels, compiled twice (AVX2+FMA and generic x86-64)
 * from the same sources in native/src/cpu; d4j_cpu() picks the table for the
 * running CPU once. Kernels cannot fail: the core validates before calling.
 */
#ifndef D4J_BACKEND_CPU_H
#define D4J_BACKEND_CPU_H

#include <stdint.h>

typedef struct d4j_cpu_kernels {
    const char* isa;
    void (*fill)(float* dst, int64_t n, float value);
    void (*copy)(float* dst, const float* src, int64_t n);
    /* dst[i] = mean + std * z_i, z from Philox block offset + i/4 */
    void (*fill_normal)(float* dst, int64_t n, float mean, float std, uint64_t seed, uint64_t offset);
    /* dst[i] = low + span * u_i, u in [0, 1) */
    void (*fill_uniform)(float* dst, int64_t n, float low, float span, uint64_t seed, uint64_t offset);
    /* x_t = a[s] x_0 + b[s] eps, eps ~ N(0, I) from the same counters as fill_normal */
    void (*q_sample)(float* x_t, float* eps, const float* x_0, const float* a, const float* b,
                     int64_t batch, int64_t per_sample, uint64_t seed, uint64_t offset);
} d4j_cpu_kernels;

const d4j_cpu_kernels* d4j_cpu(void);

/* Name mangling for the two builds of each kernel file. */
#define D4J_CPU_CAT2(a, b) a##_##b
#define D4J_CPU_CAT(a, b) D4J_CPU_CAT2(a, b)
#define D4J_CPU(name) D4J_CPU_CAT(d4j_cpu_##name, D4J_CPU_SUFFIX)

/* Below this many elements a kernel runs on one thread: forking costs more. */
#define D4J_CPU_PARALLEL_MIN 32768

#endif /* D4J_BACKEND_CPU_H */
