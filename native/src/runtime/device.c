/* device.c — version, backends present, CUDA device enumeration, CPU facts. */
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <time.h>

#include "backend_cpu.h"
#include "backend_cuda.h"
#include "../core/fma_peak.h"
#include "internal.h"

d4j_status d4j_version(int32_t* version) {
    if (!version) return d4j_fail("d4j_version", D4J_ERR_INVALID_ARGUMENT, "version is NULL");
    *version = D4J_VERSION_MAJOR * 10000 + D4J_VERSION_MINOR * 100 + D4J_VERSION_PATCH;
    return D4J_OK;
}

d4j_status d4j_cuda_built(int32_t* built) {
    if (!built) return d4j_fail("d4j_cuda_built", D4J_ERR_INVALID_ARGUMENT, "built is NULL");
    *built = d4j_cuda_is_built();
    return D4J_OK;
}

d4j_status d4j_cuda_device_count(int32_t* count) {
    if (!count) return d4j_fail("d4j_cuda_device_count", D4J_ERR_INVALID_ARGUMENT, "count is NULL");
    *count = d4j_cuda_count();
    return D4J_OK;
}

d4j_status d4j_cuda_device_info(char* name, int64_t* total_memory, int32_t ordinal, int64_t name_capacity) {
    static const char* fn = "d4j_cuda_device_info";
    if (!name || !total_memory) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "output pointer is NULL");
    if (name_capacity < 1)
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "name_capacity is %lld; it must be >= 1",
                        (long long)name_capacity);
    int count = d4j_cuda_count();
    if (ordinal < 0 || ordinal >= count)
        return d4j_fail(fn, D4J_ERR_NO_DEVICE, "CUDA device %d does not exist (%d CUDA devices)", ordinal, count);
    return d4j_cuda_info(fn, ordinal, name, name_capacity, total_memory);
}

const char* d4j_cpu_isa(void) {
    switch (d4j_cpu_level()) {
    case D4J_CPU_AVX512: return "avx512+bf16";
    case D4J_CPU_AVX2: return "avx2+fma";
    default: return "generic";
    }
}

d4j_status d4j_cpu_threads(int32_t* threads) {
    if (!threads) return d4j_fail("d4j_cpu_threads", D4J_ERR_INVALID_ARGUMENT, "threads is NULL");
#ifdef _OPENMP
    *threads = omp_get_max_threads();
#else
    *threads = 1;
#endif
    return D4J_OK;
}

d4j_status d4j_cpu_fma_peak(double* gflops, int64_t iterations) {
    static const char* fn = "d4j_cpu_fma_peak";
    if (!gflops) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "gflops is NULL");
    if (iterations < 1 || iterations > (INT64_C(1) << 40))
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "iterations is %lld; it must be 1 to 2^40", (long long)iterations);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double flops = D4J_CPU_DISPATCH(fma_peak)(iterations);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    *gflops = flops / (seconds > 0 ? seconds : 1e-9) / 1e9;
    return D4J_OK;
}
