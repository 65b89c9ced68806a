/*
 * implicit_gemm.cuh — a tiled SGEMM whose operands are functions, not arrays:
 *   C[m, n] (op.store) = Σ_k op.a(m, k) · op.b(k, n)
 * so convolutions and linear layers read NHWC activations and weights in
 * place (implicit GEMM: no im2col buffer). 64×64 output tile per block of
 * 256 threads, 4×4 per thread, K in steps of 16 through shared memory.
 * blockIdx.z splits K (for weight gradients, whose K is every pixel); such
 * ops accumulate with atomicAdd in store.
 * This is the plain first version: correctness over speed (no vector loads,
 * no double buffering, no tensor cores); see issue 6 for the tuned one.
 */
#ifndef D4J_CUDA_IMPLICIT_GEMM_CUH
#define D4J_CUDA_IMPLICIT_GEMM_CUH

#include <stdint.h>

#define D4J_GEMM_BM 64
#define D4J_GEMM_BN 64
#define D4J_GEMM_BK 16

template <class Op>
static __global__ void __launch_bounds__(256) d4j_implicit_gemm(Op op, int64_t M, int64_t N, int64_t K,
                                                                int64_t k_per_split) {
    __shared__ float As[D4J_GEMM_BK][D4J_GEMM_BM + 4];
    __shared__ float Bs[D4J_GEMM_BK][D4J_GEMM_BN + 4];
    const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
    const int64_t m0 = (int64_t)blockIdx.x * D4J_GEMM_BM, n0 = (int64_t)blockIdx.y * D4J_GEMM_BN;
    const int64_t kbeg = (int64_t)blockIdx.z * k_per_split;
    const int64_t kend = kbeg + k_per_split < K ? kbeg + k_per_split : K;
    float acc[4][4] = {};
    for (int64_t k0 = kbeg; k0 < kend; k0 += D4J_GEMM_BK) {
        for (int i = tid; i < D4J_GEMM_BM * D4J_GEMM_BK; i += 256) {
            int kk = i % D4J_GEMM_BK, mm = i / D4J_GEMM_BK; /* k fastest: channels are contiguous */
            int64_t m = m0 + mm, k = k0 + kk;
            As[kk][mm] = (m < M && k < kend) ? op.a(m, k) : 0.0f;
        }
        for (int i = tid; i < D4J_GEMM_BN * D4J_GEMM_BK; i += 256) {
            int nn = i % D4J_GEMM_BN, kk = i / D4J_GEMM_BN;
            int64_t n = n0 + nn, k = k0 + kk;
            Bs[kk][nn] = (n < N && k < kend) ? op.b(k, n) : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < D4J_GEMM_BK; kk++) {
            float a[4], b[4];
#pragma unroll
            for (int i = 0; i < 4; i++) a[i] = As[kk][ty * 4 + i];
#pragma unroll
            for (int j = 0; j < 4; j++) b[j] = Bs[kk][tx * 4 + j];
#pragma unroll
            for (int i = 0; i < 4; i++)
#pragma unroll
                for (int j = 0; j < 4; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++) {
            int64_t m = m0 + ty * 4 + i, n = n0 + tx * 4 + j;
            if (m < M && n < N) op.store(m, n, acc[i][j]);
        }
}

/* Launches op over an M×N output with K reduced in `splits` slices. */
template <class Op>
static cudaError_t d4j_launch_implicit_gemm(const Op& op, int64_t M, int64_t N, int64_t K, int splits,
                                           cudaStream_t stream) {
    int64_t per = (K + splits - 1) / splits;
    per = (per + D4J_GEMM_BK - 1) / D4J_GEMM_BK * D4J_GEMM_BK;
    splits = (int)((K + per - 1) / per);
    dim3 grid((unsigned)((M + D4J_GEMM_BM - 1) / D4J_GEMM_BM), (unsigned)((N + D4J_GEMM_BN - 1) / D4J_GEMM_BN),
              (unsigned)(splits < 1 ? 1 : splits));
    d4j_implicit_gemm<Op><<<grid, 256, 0, stream>>>(op, M, N, K, per);
    return cudaGetLastError();
}

#endif /* D4J_CUDA_IMPLICIT_GEMM_CUH */
