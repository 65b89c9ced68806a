/* upsample.h — kernel contract of nearest 2× upsampling, NHWC (front door ops/upsample.c; kernels in cpu/upsample.c, cuda/upsample.cu). */
#ifndef D4J_UPSAMPLE_H
#define D4J_UPSAMPLE_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"

/* x (rows = N·H, W, C) -> y (N, 2H, 2W, C) */
D4J_CPU_DECLARE(void, upsample2x_forward, (float* y, const float* x, int64_t rows, int64_t w, int64_t c))
D4J_CPU_DECLARE(void, upsample2x_backward, (float* dx, const float* dy, int64_t rows, int64_t w, int64_t c))

#ifdef __cplusplus
extern "C" {
#endif
d4j_status d4j_cuda_upsample2x_forward(const char* fn, int ordinal, void* stream, float* y, const float* x,
                                       int64_t rows, int64_t w, int64_t c);
d4j_status d4j_cuda_upsample2x_backward(const char* fn, int ordinal, void* stream, float* dx, const float* dy,
                                        int64_t rows, int64_t w, int64_t c);
#ifdef __cplusplus
}
#endif

#endif /* D4J_UPSAMPLE_H */
