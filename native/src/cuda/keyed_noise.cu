/* keyed_noise.cu — out = a·x + b·z with per-sample keyed Philox normals on CUDA; same bits as the CPU. */
#include "keyed_noise.cuh"

static __global__ void keyed_noise_kernel(float* out, const float* x, float a, float b, int64_t per_sample,
                                          uint64_t key, uint32_t noise_stream, const d4j_id_chunk ids) {
    const int has_x = x != NULL;
    d4j_for_each_keyed(ids, per_sample, key, noise_stream, [&](int64_t i, float z) {
        out[i] = d4j_keyed_noise_element(has_x ? x[i] : 0.0f, z, a, b, has_x);
    });
}

extern "C" d4j_status d4j_cuda_keyed_noise(const char* fn, int ordinal, void* stream, float* out, const float* x,
                                           float a, float b, int64_t batch, int64_t per_sample, uint64_t key,
                                           uint32_t noise_stream, const int64_t* ids) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    return d4j_sample_chunks<int64_t, 1>(batch, &ids, [&](const d4j_id_chunk& chunk) {
        keyed_noise_kernel<<<d4j_cuda_grid(d4j_keyed_pairs(chunk, per_sample)), D4J_CUDA_THREADS, 0,
                             (cudaStream_t)stream>>>(
            out, x, a, b, per_sample, key, noise_stream, chunk);
        return d4j_cuda_status(fn, cudaGetLastError(), "keyed_noise_kernel launch");
    });
}
