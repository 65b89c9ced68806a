/*
 * copy.h — kernel contract of the copy dst[i] = src[i], a tensor runtime
 * operation (front doors d4j_tensor_copy and the host transfers in
 * runtime/tensor.c; kernel in cpu/copy.c). On CUDA a copy is a stream-ordered
 * cudaMemcpyAsync, d4j_cuda_copy in runtime/backend_cuda.h (cuda/runtime.cu).
 */
#ifndef D4J_COPY_H
#define D4J_COPY_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"

D4J_CPU_DECLARE(void, copy, (float* dst, const float* src, int64_t n))

#endif /* D4J_COPY_H */
