/*
 * hd.h — what lets one inline function run on host and device.
 *
 * Math shared by the CPU and CUDA backends is written once with these macros
 * so both compute the same float operations in the same order. Plain products
 * and sums go through D4J_MUL/D4J_ADD/D4J_SUB, which nvcc must not contract
 * into FMAs (the CPU build compiles with -ffp-contract=off); where an FMA is
 * wanted it is written as fmaf, which is exact-rounded on both.
 */
#ifndef D4J_HD_H
#define D4J_HD_H

#include <stdint.h>
#include <math.h>

#ifdef __CUDACC__
#define D4J_HD __host__ __device__ __forceinline__
#else
#define D4J_HD static inline
#endif

#if defined(__CUDA_ARCH__)
#define D4J_MUL(a, b) __fmul_rn((a), (b))
#define D4J_ADD(a, b) __fadd_rn((a), (b))
#define D4J_SUB(a, b) __fsub_rn((a), (b))
D4J_HD uint32_t d4j_float_bits(float x) { return (uint32_t)__float_as_uint(x); }
D4J_HD float d4j_bits_float(uint32_t b) { return __uint_as_float(b); }
#else
#include <string.h>
#define D4J_MUL(a, b) ((a) * (b))
#define D4J_ADD(a, b) ((a) + (b))
#define D4J_SUB(a, b) ((a) - (b))
D4J_HD uint32_t d4j_float_bits(float x) { uint32_t b; memcpy(&b, &x, 4); return b; }
D4J_HD float d4j_bits_float(uint32_t b) { float x; memcpy(&x, &b, 4); return x; }
#endif

#endif /* D4J_HD_H */
