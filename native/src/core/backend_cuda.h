/*
 * backend_cuda.h — what the core asks of the CUDA backend (native/src/cuda).
 * When the library is built without CUDA, cuda_absent.c answers every call
 * with D4J_ERR_NO_DEVICE. Each function sets the thread's current device to
 * `ordinal` itself; `stream` is the context's cudaStream_t. Failures are
 * reported through d4j_fail with the public function's name `fn`.
 */
#ifndef D4J_BACKEND_CUDA_H
#define D4J_BACKEND_CUDA_H

#include "d4j.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Samples per launch of q_sample: their coefficients travel as kernel
 * parameters (2 * 256 floats = 2 KiB, inside the classic 4 KiB limit). */
#define D4J_CUDA_QSAMPLE_CHUNK 256

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
d4j_status d4j_cuda_fill(const char* fn, int ordinal, void* stream, float* dst, int64_t n, float value);
d4j_status d4j_cuda_fill_normal(const char* fn, int ordinal, void* stream, float* dst, int64_t n,
                                float mean, float std, uint64_t seed, uint64_t offset);
d4j_status d4j_cuda_fill_uniform(const char* fn, int ordinal, void* stream, float* dst, int64_t n,
                                 float low, float span, uint64_t seed, uint64_t offset);
/* a, b: per-sample coefficients on the host, `batch` of each; sample n covers
 * elements [n*per_sample, (n+1)*per_sample). */
d4j_status d4j_cuda_q_sample(const char* fn, int ordinal, void* stream, float* x_t, float* eps,
                             const float* x_0, const float* a, const float* b, int64_t batch,
                             int64_t per_sample, uint64_t seed, uint64_t offset);

#ifdef __cplusplus
}
#endif

#endif /* D4J_BACKEND_CUDA_H */
