/*
 * ema.cu — the multi-tensor EMA of weights on CUDA, the same per-element
 * formula as native/src/cpu/ema.c; one launch per table of tensors
 * (tensor_table.cuh).
 */
#include "../core/ema.h"
#include "cuda_check.h"
#include "tensor_table.cuh"

static __global__ void ema_kernel(const __grid_constant__ d4j_tensor_table t, float decay) {
    const float rest = 1.0f - decay;
    for_each_element(t, [&](int k, int64_t i) {
        float* e = t.data[0][k];
        e[i] = fmaf(decay, e[i], rest * t.data[1][k][i]);
    });
}

extern "C" d4j_status d4j_cuda_ema(const char* fn, int ordinal, void* stream, const d4j_tensor_table* t, float decay) {
    D4J_CUDA_LAUNCH(ema_kernel, table_threads(*t), *t, decay);
}
