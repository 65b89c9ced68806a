/* kernels.c — this ISA build's table of CPU kernels (see backend_cpu.h). */
#include "../core/backend_cpu.h"

void D4J_CPU(fill)(float* dst, int64_t n, float value);
void D4J_CPU(copy)(float* dst, const float* src, int64_t n);
void D4J_CPU(fill_normal)(float* dst, int64_t n, float mean, float std, uint64_t seed, uint64_t offset);
void D4J_CPU(fill_uniform)(float* dst, int64_t n, float low, float span, uint64_t seed, uint64_t offset);
void D4J_CPU(q_sample)(float* x_t, float* eps, const float* x_0, const float* a, const float* b,
                       int64_t batch, int64_t per_sample, uint64_t seed, uint64_t offset);

const d4j_cpu_kernels D4J_CPU(kernels) = {
    .isa = D4J_CPU_ISA_NAME,
    .fill = D4J_CPU(fill),
    .copy = D4J_CPU(copy),
    .fill_normal = D4J_CPU(fill_normal),
    .fill_uniform = D4J_CPU(fill_uniform),
    .q_sample = D4J_CPU(q_sample),
};
