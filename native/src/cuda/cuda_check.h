/*
 * cuda_check.h — turns CUDA runtime errors into d4j statuses, and the launch
 * geometry shared by the elementwise kernels.
 */
#ifndef D4J_CUDA_CHECK_H
#define D4J_CUDA_CHECK_H

#include <cuda_runtime.h>

#include "../core/backend_cuda.h"
#include "../core/error.h"

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

#endif /* D4J_CUDA_CHECK_H */
