/*
 * adamw.cu — the multi-tensor AdamW step on CUDA, the same per-element
 * formulas as native/src/cpu/adamw.c; one launch per table of tensors
 * (tensor_table.cuh).
 */
#include "../core/hd.h"
#include "../core/adamw.h"
#include "cuda_check.h"
#include "tensor_table.cuh"

static __global__ void adamw_kernel(const __grid_constant__ d4j_tensor_table t, d4j_adamw_step_params h) {
    const float decay = 1.0f - D4J_MUL(h.lr, h.weight_decay), c1 = 1.0f - h.beta1, c2 = 1.0f - h.beta2;
    for_each_element(t, [&](int k, int64_t i) {
        float *p = t.data[0][k], *m = t.data[1][k], *v = t.data[2][k];
        float gi = t.data[3][k][i];
        float mi = fmaf(h.beta1, m[i], c1 * gi);
        float vi = fmaf(h.beta2, v[i], c2 * gi * gi);
        m[i] = mi;
        v[i] = vi;
        float denom = fmaf(sqrtf(vi), h.bias2_sqrt_inv, h.eps);
        p[i] = fmaf(-h.step_size, mi / denom, p[i] * decay);
    });
}

extern "C" d4j_status d4j_cuda_adamw(const char* fn, int ordinal, void* stream, const d4j_tensor_table* t,
                                     const d4j_adamw_step_params* h) {
    D4J_CUDA_LAUNCH(adamw_kernel, table_threads(*t), *t, *h);
}
