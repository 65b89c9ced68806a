/*
 * attention.cu — fused multi-head self-attention on CUDA, flash-style: keys
 * and values stream through shared memory in tiles, each thread owns one
 * query (forward, dQ) or one key (dK, dV), the softmax is computed online and
 * the L×L matrix is never written; the backward recomputes probabilities from
 * the saved log-sum-exp (FlashAttention-2). Head size D <= 128.
 * First version, for correctness (one row per thread, fp32 FMA, no tensor
 * cores); see issue 6 for the tuned kernels.
 */
#include "../core/attention.h"
#include "../core/expf.h"
#include "cuda_check.h"

#define D_MAX 128
#define TILE 32 /* rows per shared-memory tile (keys, or queries in the key pass) */

/* Row r of the head's slice: base + r·stride + [0, D). */
static __device__ __forceinline__ void load_tile(float (*dst)[D_MAX], const float* base, int64_t stride, int64_t r0,
                                                 int64_t rows_total, int64_t d) {
    for (int64_t e = threadIdx.x; e < TILE * d; e += blockDim.x) {
        int64_t r = e / d, k = e % d;
        dst[r][k] = r0 + r < rows_total ? base[(r0 + r) * stride + k] : 0.0f;
    }
}

static __global__ void attn_forward_kernel(float* __restrict__ out, float* __restrict__ lse,
                                           const float* __restrict__ qkv, d4j_attn_shape s, float scale) {
    __shared__ float ks[TILE][D_MAX], vs[TILE][D_MAX];
    const int64_t nh = blockIdx.y, n = nh / s.heads, h = nh % s.heads, ld = 3 * s.c;
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    const float* q = qkv + n * s.l * ld + h * s.d;
    float qi[D_MAX], o[D_MAX];
    for (int64_t k = 0; k < s.d; k++) {
        qi[k] = i < s.l ? q[i * ld + k] : 0.0f;
        o[k] = 0.0f;
    }
    float m = -INFINITY, l = 0.0f;
    for (int64_t j0 = 0; j0 < s.l; j0 += TILE) {
        __syncthreads();
        load_tile(ks, q + s.c, ld, j0, s.l, s.d);
        load_tile(vs, q + 2 * s.c, ld, j0, s.l, s.d);
        __syncthreads();
        for (int j = 0; j < TILE && j0 + j < s.l; j++) {
            float dot = 0.0f;
            for (int64_t k = 0; k < s.d; k++) dot = fmaf(qi[k], ks[j][k], dot);
            float sj = dot * scale, mn = fmaxf(m, sj);
            float corr = d4j_expf(m - mn), p = d4j_expf(sj - mn);
            l = fmaf(l, corr, p);
            for (int64_t k = 0; k < s.d; k++) o[k] = fmaf(o[k], corr, p * vs[j][k]);
            m = mn;
        }
    }
    if (i < s.l) {
        float inv = 1.0f / l;
        for (int64_t k = 0; k < s.d; k++) out[(n * s.l + i) * s.c + h * s.d + k] = o[k] * inv;
        lse[nh * s.l + i] = m + logf(l);
    }
}

/* D_i = dO_i · O_i */
static __global__ void attn_rowdot_kernel(float* __restrict__ di, const float* __restrict__ dout,
                                          const float* __restrict__ out, d4j_attn_shape s) {
    int64_t idx = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= s.n * s.heads * s.l) return;
    int64_t nh = idx / s.l, i = idx % s.l, n = nh / s.heads, h = nh % s.heads;
    const float* a = dout + (n * s.l + i) * s.c + h * s.d;
    const float* b = out + (n * s.l + i) * s.c + h * s.d;
    float acc = 0.0f;
    for (int64_t k = 0; k < s.d; k++) acc = fmaf(a[k], b[k], acc);
    di[idx] = acc;
}

/* dQ_i = Σ_j dS_ij k_j, dS_ij = p_ij (dO_i·v_j − D_i) / √D: a thread per query. */
static __global__ void attn_dq_kernel(float* __restrict__ dqkv, const float* __restrict__ dout,
                                      const float* __restrict__ qkv, const float* __restrict__ lse,
                                      const float* __restrict__ di, d4j_attn_shape s, float scale) {
    __shared__ float ks[TILE][D_MAX], vs[TILE][D_MAX];
    const int64_t nh = blockIdx.y, n = nh / s.heads, h = nh % s.heads, ld = 3 * s.c;
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    const float* q = qkv + n * s.l * ld + h * s.d;
    float qi[D_MAX], gi[D_MAX], dq[D_MAX];
    for (int64_t k = 0; k < s.d; k++) {
        qi[k] = i < s.l ? q[i * ld + k] : 0.0f;
        gi[k] = i < s.l ? dout[(n * s.l + i) * s.c + h * s.d + k] : 0.0f;
        dq[k] = 0.0f;
    }
    float li = i < s.l ? lse[nh * s.l + i] : 0.0f, dii = i < s.l ? di[nh * s.l + i] : 0.0f;
    for (int64_t j0 = 0; j0 < s.l; j0 += TILE) {
        __syncthreads();
        load_tile(ks, q + s.c, ld, j0, s.l, s.d);
        load_tile(vs, q + 2 * s.c, ld, j0, s.l, s.d);
        __syncthreads();
        for (int j = 0; j < TILE && j0 + j < s.l; j++) {
            float dot = 0.0f, dp = 0.0f;
            for (int64_t k = 0; k < s.d; k++) {
                dot = fmaf(qi[k], ks[j][k], dot);
                dp = fmaf(gi[k], vs[j][k], dp);
            }
            float p = d4j_expf(fmaf(dot, scale, -li));
            float ds = p * (dp - dii) * scale;
            for (int64_t k = 0; k < s.d; k++) dq[k] = fmaf(ds, ks[j][k], dq[k]);
        }
    }
    if (i < s.l)
        for (int64_t k = 0; k < s.d; k++) dqkv[(n * s.l + i) * ld + h * s.d + k] = dq[k];
}

/* dK_j = Σ_i dS_ij q_i, dV_j = Σ_i p_ij dO_i: a thread per key, queries through shared memory. */
static __global__ void attn_dkv_kernel(float* __restrict__ dqkv, const float* __restrict__ dout,
                                       const float* __restrict__ qkv, const float* __restrict__ lse,
                                       const float* __restrict__ di, d4j_attn_shape s, float scale) {
    __shared__ float qs[TILE][D_MAX], gs[TILE][D_MAX], ls[TILE], ds_[TILE];
    const int64_t nh = blockIdx.y, n = nh / s.heads, h = nh % s.heads, ld = 3 * s.c;
    const int64_t j = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    const float* q = qkv + n * s.l * ld + h * s.d;
    float kj[D_MAX], vj[D_MAX], dk[D_MAX], dv[D_MAX];
    for (int64_t k = 0; k < s.d; k++) {
        kj[k] = j < s.l ? q[j * ld + s.c + k] : 0.0f;
        vj[k] = j < s.l ? q[j * ld + 2 * s.c + k] : 0.0f;
        dk[k] = dv[k] = 0.0f;
    }
    for (int64_t i0 = 0; i0 < s.l; i0 += TILE) {
        __syncthreads();
        load_tile(qs, q, ld, i0, s.l, s.d);
        load_tile(gs, dout + n * s.l * s.c + h * s.d, s.c, i0, s.l, s.d);
        for (int64_t e = threadIdx.x; e < TILE; e += blockDim.x) {
            ls[e] = i0 + e < s.l ? lse[nh * s.l + i0 + e] : 0.0f;
            ds_[e] = i0 + e < s.l ? di[nh * s.l + i0 + e] : 0.0f;
        }
        __syncthreads();
        for (int r = 0; r < TILE && i0 + r < s.l; r++) {
            float dot = 0.0f, dp = 0.0f;
            for (int64_t k = 0; k < s.d; k++) {
                dot = fmaf(qs[r][k], kj[k], dot);
                dp = fmaf(gs[r][k], vj[k], dp);
            }
            float p = d4j_expf(fmaf(dot, scale, -ls[r]));
            float dsc = p * (dp - ds_[r]) * scale;
            for (int64_t k = 0; k < s.d; k++) {
                dv[k] = fmaf(p, gs[r][k], dv[k]);
                dk[k] = fmaf(dsc, qs[r][k], dk[k]);
            }
        }
    }
    if (j < s.l)
        for (int64_t k = 0; k < s.d; k++) {
            dqkv[(n * s.l + j) * ld + s.c + h * s.d + k] = dk[k];
            dqkv[(n * s.l + j) * ld + 2 * s.c + h * s.d + k] = dv[k];
        }
}

static d4j_status check_head(const char* fn, const d4j_attn_shape* s) {
    if (s->d > D_MAX)
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "head size C/heads is %lld; the CUDA kernels take at most %d",
                        (long long)s->d, D_MAX);
    return D4J_OK;
}

extern "C" d4j_status d4j_cuda_attention_forward(const char* fn, int ordinal, void* stream, float* out, float* lse,
                                                 const float* qkv, const d4j_attn_shape* s) {
    D4J_TRY(check_head(fn, s));
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    dim3 grid((unsigned)((s->l + 63) / 64), (unsigned)(s->n * s->heads));
    attn_forward_kernel<<<grid, 64, 0, (cudaStream_t)stream>>>(out, lse, qkv, *s, 1.0f / sqrtf((float)s->d));
    D4J_CUDA_TRY(fn, cudaGetLastError());
    return D4J_OK;
}

extern "C" d4j_status d4j_cuda_attention_backward(const char* fn, int ordinal, void* stream, float* dqkv,
                                                  const float* dout, const float* qkv, const float* out,
                                                  const float* lse, const d4j_attn_shape* s, float* scratch) {
    D4J_TRY(check_head(fn, s));
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    cudaStream_t st = (cudaStream_t)stream;
    float scale = 1.0f / sqrtf((float)s->d);
    int64_t rows = s->n * s->heads * s->l;
    attn_rowdot_kernel<<<(unsigned)((rows + 255) / 256), 256, 0, st>>>(scratch, dout, out, *s);
    D4J_CUDA_TRY(fn, cudaGetLastError());
    dim3 grid((unsigned)((s->l + 63) / 64), (unsigned)(s->n * s->heads));
    attn_dq_kernel<<<grid, 64, 0, st>>>(dqkv, dout, qkv, lse, scratch, *s, scale);
    D4J_CUDA_TRY(fn, cudaGetLastError());
    attn_dkv_kernel<<<grid, 64, 0, st>>>(dqkv, dout, qkv, lse, scratch, *s, scale);
    D4J_CUDA_TRY(fn, cudaGetLastError());
    return D4J_OK;
}
