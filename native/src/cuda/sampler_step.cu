/* sampler_step.cu — the fused reverse-process update on CUDA; same math and keyed noise bits as the CPU. */
#include "../core/sampler_math.h"
#include "../core/sampler_step.h"
#include "keyed_noise.cuh"

/* sigma == 0: no noise (σ_i = 0, var_out unused), one thread per element over the whole batch */
static __global__ void sampler_step_plain_kernel(float* x_prev, const float* x_t, const float* out,
                                                 const float* out_uncond, int64_t n, d4j_step_coefficients c) {
    const int guided = out_uncond != NULL;
    D4J_GRID_STRIDE(i, n) {
        x_prev[i] = d4j_sampler_update(x_t[i], out[i], guided ? out_uncond[i] : 0.0f, 0.0f, 0.0f, &c, guided, 0);
    }
}

/* sigma > 0: one thread per (sample, block) pair of the chunk's samples */
static __global__ void sampler_step_noisy_kernel(float* x_prev, const float* x_t, const float* out,
                                                 const float* out_uncond, const float* var_out, int64_t per_sample,
                                                 d4j_step_coefficients c, uint64_t key, uint32_t noise_stream,
                                                 const d4j_id_chunk ids) {
    const int guided = out_uncond != NULL, learned = var_out != NULL;
    d4j_for_each_keyed(ids, per_sample, key, noise_stream, [&](int64_t i, float z) {
        x_prev[i] = d4j_sampler_update(x_t[i], out[i], guided ? out_uncond[i] : 0.0f, learned ? var_out[i] : 0.0f, z,
                                       &c, guided, learned);
    });
}

extern "C" d4j_status d4j_cuda_sampler_step(const char* fn, int ordinal, void* stream, float* x_prev, const float* x_t,
                                            const float* out, const float* out_uncond, const float* var_out,
                                            int64_t batch, int64_t per_sample, const d4j_step_coefficients* c,
                                            uint64_t noise_key, uint32_t noise_stream, const int64_t* ids) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    cudaStream_t st = (cudaStream_t)stream;
    if (c->sigma == 0.0f) {
        int64_t n = batch * per_sample;
        sampler_step_plain_kernel<<<d4j_cuda_grid(n), D4J_CUDA_THREADS, 0, st>>>(x_prev, x_t, out, out_uncond, n, *c);
        D4J_CUDA_TRY(fn, cudaGetLastError());
        return D4J_OK;
    }
    return d4j_sample_chunks<int64_t, 1>(batch, &ids, [&](const d4j_id_chunk& chunk) {
        sampler_step_noisy_kernel<<<d4j_cuda_grid(d4j_keyed_pairs(chunk, per_sample)), D4J_CUDA_THREADS, 0, st>>>(
            x_prev, x_t, out, out_uncond, var_out, per_sample, *c, noise_key, noise_stream, chunk);
        return d4j_cuda_status(fn, cudaGetLastError(), "sampler_step_noisy_kernel launch");
    });
}
