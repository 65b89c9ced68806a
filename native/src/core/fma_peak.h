/* fma_peak.h — kernel contract of the FMA-throughput probe (front door runtime/device.c). */
#ifndef D4J_FMA_PEAK_H
#define D4J_FMA_PEAK_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"

/* Runs `iterations` rounds of register-resident multiply-adds on every OpenMP
 * thread; returns the floating-point operations done (2 per multiply-add). */
D4J_CPU_DECLARE(double, fma_peak, (int64_t iterations))

#endif /* D4J_FMA_PEAK_H */
