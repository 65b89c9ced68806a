/*
 * tensor_table.cuh — how a multi-tensor CUDA launch (AdamW, the EMA of
 * weights, gradient clipping) walks its table (core/tensor_table.h): up to
 * D4J_TABLE_TENSORS tensors travel as one kernel parameter, their elements
 * laid end to end; each block takes chunks of that index space (a chunk may
 * span tensors), so a model's few hundred parameter tensors cost a handful of
 * launches, not one each.
 */
#ifndef D4J_TENSOR_TABLE_CUH
#define D4J_TENSOR_TABLE_CUH

#include "../core/tensor_table.h"
#include "cuda_check.h"

#define D4J_TABLE_CHUNK 4096 /* elements of the table's index space per block and turn */

/* Blocks of a table launch: one per chunk, at most D4J_CUDA_TABLE_BLOCKS. */
static unsigned table_grid(const d4j_tensor_table& t) {
    int64_t chunks = (t.start[t.count] + D4J_TABLE_CHUNK - 1) / D4J_TABLE_CHUNK;
    return (unsigned)(chunks < 1 ? 1 : chunks > D4J_CUDA_TABLE_BLOCKS ? D4J_CUDA_TABLE_BLOCKS : chunks);
}

/* The work D4J_CUDA_LAUNCH is given so that its grid is table_grid(t): a thread per slot. */
static int64_t table_threads(const d4j_tensor_table& t) { return (int64_t)table_grid(t) * D4J_CUDA_THREADS; }

/* Calls op(k, i) for element i of tensor k, for every element of the table: the block's
 * threads stride through each of its chunks, each thread stepping to the next tensor when
 * its element passes the current one's end. Kernels take the table as a __grid_constant__
 * parameter, so indexing it by k reads parameter memory instead of copying the table. */
template <typename Op>
static __device__ __forceinline__ void for_each_element(const d4j_tensor_table& t, Op op) {
    const int64_t total = t.start[t.count];
    for (int64_t c0 = (int64_t)blockIdx.x * D4J_TABLE_CHUNK; c0 < total; c0 += (int64_t)gridDim.x * D4J_TABLE_CHUNK) {
        int k = 0;
        while (t.start[k + 1] <= c0) k++;
        int64_t end = c0 + D4J_TABLE_CHUNK < total ? c0 + D4J_TABLE_CHUNK : total;
        for (int64_t e = c0 + threadIdx.x; e < end; e += blockDim.x) {
            while (t.start[k + 1] <= e) k++;
            op(k, e - t.start[k]);
        }
    }
}

#endif /* D4J_TENSOR_TABLE_CUH */
