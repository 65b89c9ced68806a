/*
 * keyed_noise.cuh — the per-sample keyed normals of core/philox.h on CUDA, for
 * every kernel that draws them (keyed_noise.cu, sampler_step.cu): a launch
 * covers a chunk of samples whose ids ride in a kernel parameter
 * (per_sample.cuh), one thread per (sample, block) pair.
 */
#ifndef D4J_CUDA_KEYED_NOISE_CUH
#define D4J_CUDA_KEYED_NOISE_CUH

#include "../core/keyed_noise.h"
#include "../core/philox.h"
#include "per_sample.cuh"

typedef d4j_sample_chunk<int64_t, 1> d4j_id_chunk;

/* (sample, block) pairs of a chunk: the threads of its launch. */
static inline int64_t d4j_keyed_pairs(const d4j_id_chunk& ids, int64_t per_sample) {
    return (int64_t)ids.count * ((per_sample + 3) / 4);
}

/* Calls op(i, z) for every element i of the chunk's samples, z its keyed normal. */
template <typename Op>
static __device__ __forceinline__ void d4j_for_each_keyed(const d4j_id_chunk& ids, int64_t per_sample, uint64_t key,
                                                         uint32_t noise_stream, Op op) {
    const int64_t bps = (per_sample + 3) / 4;
    D4J_GRID_STRIDE(p, ids.count * bps) {
        int64_t s = p / bps, blk = p % bps;
        float z[4];
        d4j_philox_keyed_normal4(z, key, noise_stream, (uint64_t)ids.v[0][s], (uint32_t)blk);
        int64_t e = 4 * blk, base = (ids.first + s) * per_sample;
        for (int lane = 0; lane < 4 && e + lane < per_sample; lane++) op(base + e + lane, z[lane]);
    }
}

#endif /* D4J_CUDA_KEYED_NOISE_CUH */
