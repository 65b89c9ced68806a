/*
 * backend_cuda.h — the CUDA runtime services the library needs (devices,
 * streams, memory, transfers). Built without CUDA, cuda_absent.c answers them
 * with "0 devices" / D4J_ERR_NO_DEVICE. Op launchers are declared in each op's
 * kernel contract (native/src/core/<op>.h) and called through
 * D4J_CUDA(fn, call), which compiles to an error where CUDA is absent (no CUDA
 * context can exist there anyway).
 * Each function sets the current device to `ordinal` itself; `stream` is the
 * context's cudaStream_t; failures go through d4j_fail with the public
 * function's name `fn`.
 */
#ifndef D4J_BACKEND_CUDA_H
#define D4J_BACKEND_CUDA_H

#include "d4j.h"

#ifdef __cplusplus
extern "C" {
#endif

int d4j_cuda_is_built(void);
int d4j_cuda_count(void);
d4j_status d4j_cuda_info(const char* fn, int ordinal, char* name, int64_t capacity, int64_t* total);
d4j_status d4j_cuda_stream_create(const char* fn, int ordinal, void** stream);
void d4j_cuda_stream_destroy(int ordinal, void* stream);
d4j_status d4j_cuda_synchronize(const char* fn, int ordinal, void* stream);
d4j_status d4j_cuda_malloc(const char* fn, int ordinal, size_t bytes, void** ptr);
void d4j_cuda_free(int ordinal, void* ptr);
d4j_status d4j_cuda_upload(const char* fn, int ordinal, void* stream, float* dst, const float* src, int64_t n);
d4j_status d4j_cuda_download(const char* fn, int ordinal, void* stream, float* dst, const float* src, int64_t n);
d4j_status d4j_cuda_copy(const char* fn, int ordinal, void* stream, float* dst, const float* src, int64_t n);
#ifdef __cplusplus
}
#endif

/* The status of an op launcher call; an error where CUDA was not built. */
#ifdef D4J_WITH_CUDA
#define D4J_CUDA(fn, call) (call)
#else
#define D4J_CUDA(fn, call) d4j_fail((fn), D4J_ERR_NO_DEVICE, "this library was built without CUDA")
#endif

#endif /* D4J_BACKEND_CUDA_H */
