/*
 * cuda_check.h — turns CUDA runtime errors into d4j statuses, and the launch
 * geometry shared by the elementwise kernels.
 */
#ifndef D4J_CUDA_CHECK_H
#define D4J_CUDA_CHECK_H

#include <cuda_runtime.h>

#include "../runtime/backend_cuda.h"
#include "../runtime/error.h"

/* Reports `err` for public function fn; clears CUDA's sticky last error. */
static inline d4j_status d4j_cuda_status(const char* fn, cudaError_t err, const char* what) {
    if (err == cudaSuccess) return D4J_OK;
    (void)cudaGetLastError();
    return d4j_fail(fn, err == cudaErrorMemoryAllocation ? D4J_ERR_OUT_OF_MEMORY : D4J_ERR_CUDA,
                    "%s failed: %s (%s)", what, cudaGetErrorString(err), cudaGetErrorName(err));
}

#define D4J_CUDA_TRY(fn, call)                                              \
    do {                                                                    \
        d4j_status d4j_cuda_st_ = d4j_cuda_status((fn), (call), #call);     \
        if (d4j_cuda_st_ != D4J_OK) return d4j_cuda_st_;                    \
    } while (0)

/* Elementwise kernels: 256 threads, grid-stride loops, grid capped so huge
 * tensors do not overflow gridDim.x. */
#define D4J_CUDA_THREADS 256
static inline unsigned d4j_cuda_grid(int64_t work_items) {
    int64_t blocks = (work_items + D4J_CUDA_THREADS - 1) / D4J_CUDA_THREADS;
    const int64_t cap = 65535LL * 32;
    return (unsigned)(blocks < 1 ? 1 : blocks > cap ? cap : blocks);
}

/* for (int64_t i = global thread index; i < n; i += threads in the grid) */
#define D4J_GRID_STRIDE(i, n) \
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n); i += (int64_t)gridDim.x * blockDim.x)

/* The whole body of a launcher taking (fn, ordinal, stream, ...) that runs one
 * elementwise kernel over `work` items on the context's stream. */
#define D4J_CUDA_LAUNCH(kernel, work, ...)                                                        \
    do {                                                                                          \
        D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));                                                 \
        kernel<<<d4j_cuda_grid(work), D4J_CUDA_THREADS, 0, (cudaStream_t)stream>>>(__VA_ARGS__);  \
        D4J_CUDA_TRY(fn, cudaGetLastError());                                                     \
        return D4J_OK;                                                                            \
    } while (0)

#endif /* D4J_CUDA_CHECK_H */
