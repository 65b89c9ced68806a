/*
 * reduce.cuh — the block reduction of the float64 sums (the MSE loss, the
 * clipping norm): a fixed tree, so a sum has the same bits on every run.
 */
#ifndef D4J_CUDA_REDUCE_CUH
#define D4J_CUDA_REDUCE_CUH

/* Shared-memory tree over the block's values (sh holds blockDim.x doubles, a power of two);
 * every thread gets the total. */
static __device__ double block_sum(double* sh, double v) {
    sh[threadIdx.x] = v;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
        if (threadIdx.x < stride) sh[threadIdx.x] += sh[threadIdx.x + stride];
        __syncthreads();
    }
    return sh[0];
}

#endif /* D4J_CUDA_REDUCE_CUH */
