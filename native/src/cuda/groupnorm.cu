/*
 * groupnorm.cu — GroupNorm (+ fused SiLU) on CUDA, channels last; the same
 * formulas as native/src/cpu/groupnorm.c.
 *   forward:  one block per (n, g) merges per-thread Welford statistics
 *             (Chan's pairwise merge through shared memory), then an
 *             elementwise pass normalizes, scales, shifts and applies SiLU.
 *   backward: per-(n, channel) sums Σu, Σu·x̂ (blocks of 32 channels × 8
 *             pixel lanes), then per (n, g) A/M, B/M and per channel dγ, dβ,
 *             then an elementwise pass for dx.
 * First version, for correctness: no vector loads; see issue 6 for tuning.
 */
#include "../core/expf.h"
#include "../core/groupnorm.h"
#include "cuda_check.h"

static __device__ __forceinline__ float dsilu(float z) {
    float s = d4j_sigmoidf(z);
    return D4J_MUL(s, fmaf(z, D4J_SUB(1.0f, s), 1.0f));
}

static __global__ void gn_stats_kernel(float* __restrict__ mean, float* __restrict__ rstd, const float* __restrict__ x,
                                       d4j_gn_shape s, float eps) {
    __shared__ float sh_n[256], sh_mu[256], sh_m2[256];
    const int64_t bg = blockIdx.x, b = bg / s.groups, grp = bg % s.groups, cg = s.c / s.groups;
    const int64_t count = s.hw * cg;
    float n = 0.0f, mu = 0.0f, m2 = 0.0f;
    for (int64_t i = threadIdx.x; i < count; i += blockDim.x) { /* Welford */
        int64_t p = i / cg, ch = grp * cg + i % cg;
        float v = x[(b * s.hw + p) * s.c + ch];
        n += 1.0f;
        float d = v - mu;
        mu += d / n;
        m2 = fmaf(d, v - mu, m2);
    }
    sh_n[threadIdx.x] = n;
    sh_mu[threadIdx.x] = mu;
    sh_m2[threadIdx.x] = m2;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride /= 2) { /* Chan's merge */
        if (threadIdx.x < stride) {
            float na = sh_n[threadIdx.x], nb = sh_n[threadIdx.x + stride], nt = na + nb;
            if (nb > 0.0f) {
                float delta = sh_mu[threadIdx.x + stride] - sh_mu[threadIdx.x];
                sh_mu[threadIdx.x] += delta * nb / nt;
                sh_m2[threadIdx.x] += sh_m2[threadIdx.x + stride] + delta * delta * na * nb / nt;
                sh_n[threadIdx.x] = nt;
            }
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        mean[bg] = sh_mu[0];
        rstd[bg] = rsqrtf(sh_m2[0] / sh_n[0] + eps);
    }
}

static __global__ void gn_apply_kernel(float* __restrict__ y, const float* __restrict__ x,
                                       const float* __restrict__ mean, const float* __restrict__ rstd,
                                       const float* __restrict__ gamma, const float* __restrict__ beta, d4j_gn_shape s,
                                       int silu) {
    const int64_t total = s.n * s.hw * s.c, cg = s.c / s.groups;
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
        int64_t ch = i % s.c, bg = (i / (s.hw * s.c)) * s.groups + ch / cg;
        float z = fmaf(D4J_MUL(D4J_SUB(x[i], mean[bg]), rstd[bg]), gamma[ch], beta[ch]);
        y[i] = silu ? D4J_MUL(z, d4j_sigmoidf(z)) : z;
    }
}

/* su[n, c] = Σ_p u, sux[n, c] = Σ_p u·x̂: block (32 channels × 8 pixel lanes) per (n, channel tile). */
static __global__ void gn_channel_sums_kernel(float* __restrict__ su, float* __restrict__ sux,
                                              const float* __restrict__ dy, const float* __restrict__ x,
                                              const float* __restrict__ mean, const float* __restrict__ rstd,
                                              const float* __restrict__ gamma, const float* __restrict__ beta,
                                              d4j_gn_shape s, int silu) {
    __shared__ float sh_u[8][32], sh_ux[8][32];
    const int lane_c = threadIdx.x % 32, lane_p = threadIdx.x / 32;
    const int64_t b = blockIdx.y, ch = (int64_t)blockIdx.x * 32 + lane_c, cg = s.c / s.groups;
    float a = 0.0f, ax = 0.0f;
    if (ch < s.c) {
        float mu = mean[b * s.groups + ch / cg], rs = rstd[b * s.groups + ch / cg];
        for (int64_t p = lane_p; p < s.hw; p += 8) {
            int64_t i = (b * s.hw + p) * s.c + ch;
            float xhat = D4J_MUL(D4J_SUB(x[i], mu), rs);
            float u = silu ? D4J_MUL(dy[i], dsilu(fmaf(xhat, gamma[ch], beta[ch]))) : dy[i];
            a += u;
            ax = fmaf(u, xhat, ax);
        }
    }
    sh_u[lane_p][lane_c] = a;
    sh_ux[lane_p][lane_c] = ax;
    __syncthreads();
    if (lane_p == 0 && ch < s.c) {
        for (int k = 1; k < 8; k++) {
            a += sh_u[k][lane_c];
            ax += sh_ux[k][lane_c];
        }
        su[b * s.c + ch] = a;
        sux[b * s.c + ch] = ax;
    }
}

/* Per (n, g): A/M, B/M. Per channel (in the first n's blocks): dγ += Σ_n sux, dβ += Σ_n su. */
static __global__ void gn_group_sums_kernel(float* __restrict__ ab, float* __restrict__ dgamma,
                                            float* __restrict__ dbeta, const float* __restrict__ su,
                                            const float* __restrict__ sux, const float* __restrict__ gamma,
                                            d4j_gn_shape s) {
    const int64_t cg = s.c / s.groups;
    int64_t bg = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
    if (bg < s.n * s.groups) {
        int64_t b = bg / s.groups, grp = bg % s.groups;
        float a = 0.0f, bb = 0.0f;
        for (int64_t ch = grp * cg; ch < (grp + 1) * cg; ch++) {
            a = fmaf(gamma[ch], su[b * s.c + ch], a);
            bb = fmaf(gamma[ch], sux[b * s.c + ch], bb);
        }
        float m = (float)(s.hw * cg);
        ab[2 * bg] = a / m;
        ab[2 * bg + 1] = bb / m;
    }
    if (bg < s.c) {
        float a = 0.0f, bb = 0.0f;
        for (int64_t b = 0; b < s.n; b++) {
            a += su[b * s.c + bg];
            bb += sux[b * s.c + bg];
        }
        dbeta[bg] += a;
        dgamma[bg] += bb;
    }
}

static __global__ void gn_dx_kernel(float* __restrict__ dx, const float* __restrict__ dy, const float* __restrict__ x,
                                    const float* __restrict__ mean, const float* __restrict__ rstd,
                                    const float* __restrict__ gamma, const float* __restrict__ beta,
                                    const float* __restrict__ ab, d4j_gn_shape s, int silu) {
    const int64_t total = s.n * s.hw * s.c, cg = s.c / s.groups;
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
        int64_t ch = i % s.c, bg = (i / (s.hw * s.c)) * s.groups + ch / cg;
        float rs = rstd[bg];
        float xhat = D4J_MUL(D4J_SUB(x[i], mean[bg]), rs);
        float u = silu ? D4J_MUL(dy[i], dsilu(fmaf(xhat, gamma[ch], beta[ch]))) : dy[i];
        float inner = D4J_SUB(D4J_SUB(D4J_MUL(gamma[ch], u), ab[2 * bg]), D4J_MUL(xhat, ab[2 * bg + 1]));
        dx[i] = D4J_MUL(rs, inner); /* rstd·(γu − A/M − x̂·B/M) */
    }
}

extern "C" d4j_status d4j_cuda_groupnorm_forward(const char* fn, int ordinal, void* stream, float* y, float* mean,
                                                 float* rstd, const float* x, const float* gamma, const float* beta,
                                                 const d4j_gn_shape* s, float eps, int silu) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    cudaStream_t st = (cudaStream_t)stream;
    gn_stats_kernel<<<(unsigned)(s->n * s->groups), 256, 0, st>>>(mean, rstd, x, *s, eps);
    D4J_CUDA_TRY(fn, cudaGetLastError());
    gn_apply_kernel<<<d4j_cuda_grid(s->n * s->hw * s->c), D4J_CUDA_THREADS, 0, st>>>(y, x, mean, rstd, gamma, beta,
                                                                                      *s, silu);
    D4J_CUDA_TRY(fn, cudaGetLastError());
    return D4J_OK;
}

extern "C" d4j_status d4j_cuda_groupnorm_backward(const char* fn, int ordinal, void* stream, float* dx, float* dgamma,
                                                  float* dbeta, const float* dy, const float* x, const float* mean,
                                                  const float* rstd, const float* gamma, const float* beta,
                                                  const d4j_gn_shape* s, int silu, float* scratch) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    cudaStream_t st = (cudaStream_t)stream;
    float* su = scratch;
    float* sux = su + s->n * s->c;
    float* ab = sux + s->n * s->c;
    dim3 grid((unsigned)((s->c + 31) / 32), (unsigned)s->n);
    gn_channel_sums_kernel<<<grid, 256, 0, st>>>(su, sux, dy, x, mean, rstd, gamma, beta, *s, silu);
    D4J_CUDA_TRY(fn, cudaGetLastError());
    int64_t work = s->n * s->groups > s->c ? s->n * s->groups : s->c;
    gn_group_sums_kernel<<<(unsigned)((work + 127) / 128), 128, 0, st>>>(ab, dgamma, dbeta, su, sux, gamma, *s);
    D4J_CUDA_TRY(fn, cudaGetLastError());
    gn_dx_kernel<<<d4j_cuda_grid(s->n * s->hw * s->c), D4J_CUDA_THREADS, 0, st>>>(dx, dy, x, mean, rstd, gamma, beta,
                                                                                   ab, *s, silu);
    D4J_CUDA_TRY(fn, cudaGetLastError());
    return D4J_OK;
}
