/*
 * runtime.cu — devices, streams, memory and transfers of the CUDA backend.
 * The runtime is linked statically: with no driver or no GPU every query
 * answers "0 devices" instead of failing to load.
 */
#include <string.h>

#include "cuda_check.h"

extern "C" int d4j_cuda_is_built(void) { return 1; }

extern "C" int d4j_cuda_count(void) {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) {
        (void)cudaGetLastError(); /* no driver / no device: not an error for us */
        return 0;
    }
    return count;
}

extern "C" d4j_status d4j_cuda_info(const char* fn, int ordinal, char* name, int64_t capacity, int64_t* total) {
    cudaDeviceProp prop;
    D4J_CUDA_TRY(fn, cudaGetDeviceProperties(&prop, ordinal));
    strncpy(name, prop.name, (size_t)capacity - 1);
    name[capacity - 1] = '\0';
    *total = (int64_t)prop.totalGlobalMem;
    return D4J_OK;
}

extern "C" d4j_status d4j_cuda_stream_create(const char* fn, int ordinal, void** stream) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    cudaStream_t s;
    D4J_CUDA_TRY(fn, cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    *stream = (void*)s;
    return D4J_OK;
}

extern "C" void d4j_cuda_stream_destroy(int ordinal, void* stream) {
    if (cudaSetDevice(ordinal) == cudaSuccess) (void)cudaStreamDestroy((cudaStream_t)stream);
    (void)cudaGetLastError();
}

extern "C" d4j_status d4j_cuda_synchronize(const char* fn, int ordinal, void* stream) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    D4J_CUDA_TRY(fn, cudaStreamSynchronize((cudaStream_t)stream));
    return D4J_OK;
}

extern "C" d4j_status d4j_cuda_malloc(const char* fn, int ordinal, size_t bytes, void** ptr) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    cudaError_t err = cudaMalloc(ptr, bytes);
    if (err == cudaErrorMemoryAllocation) {
        (void)cudaGetLastError();
        return d4j_fail(fn, D4J_ERR_OUT_OF_MEMORY, "cannot allocate %zu bytes on CUDA device %d", bytes, ordinal);
    }
    return d4j_cuda_status(fn, err, "cudaMalloc");
}

extern "C" void d4j_cuda_free(int ordinal, void* ptr) {
    if (cudaSetDevice(ordinal) == cudaSuccess) (void)cudaFree(ptr);
    (void)cudaGetLastError();
}

/* Transfers from pageable host memory: the host buffer (often a JNI copy of a
 * Java array) is released when we return, so both directions wait. */
extern "C" d4j_status d4j_cuda_upload(const char* fn, int ordinal, void* stream, float* dst, const float* src,
                                      int64_t n) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    cudaStream_t s = (cudaStream_t)stream;
    D4J_CUDA_TRY(fn, cudaMemcpyAsync(dst, src, (size_t)n * sizeof(float), cudaMemcpyHostToDevice, s));
    D4J_CUDA_TRY(fn, cudaStreamSynchronize(s));
    return D4J_OK;
}

extern "C" d4j_status d4j_cuda_download(const char* fn, int ordinal, void* stream, float* dst, const float* src,
                                        int64_t n) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    cudaStream_t s = (cudaStream_t)stream;
    D4J_CUDA_TRY(fn, cudaMemcpyAsync(dst, src, (size_t)n * sizeof(float), cudaMemcpyDeviceToHost, s));
    D4J_CUDA_TRY(fn, cudaStreamSynchronize(s));
    return D4J_OK;
}

extern "C" d4j_status d4j_cuda_copy(const char* fn, int ordinal, void* stream, float* dst, const float* src,
                                    int64_t n) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    D4J_CUDA_TRY(fn, cudaMemcpyAsync(dst, src, (size_t)n * sizeof(float), cudaMemcpyDeviceToDevice,
                                     (cudaStream_t)stream));
    return D4J_OK;
}
