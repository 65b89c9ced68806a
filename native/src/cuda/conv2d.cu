/*
 * conv2d.cu — 2-D convolution on CUDA as implicit GEMM (implicit_gemm.cuh):
 *   forward          M = N·Ho·Wo pixels, N = Cout, K = taps·Cin
 *   backward data    M = N·H·W pixels of dx, N = Cin, K = taps·Cout; a tap
 *                    contributes where (h + pad − kh) is a multiple of the stride
 *   backward weights M = taps·Cin, N = Cout, K = N·Ho·Wo pixels, split over
 *                    blocks and accumulated into dw with atomicAdd (dw +=)
 * Same math as native/src/cpu/conv2d.c; results agree to float32 rounding.
 */
#include "../core/conv2d.h"
#include "cuda_check.h"
#include "implicit_gemm.cuh"

struct ConvForward {
    const float* x;
    const float* w;
    const float* bias;
    float* y;
    d4j_conv_shape s;
    __device__ float a(int64_t m, int64_t k) const {
        int64_t tap = k / s.cin, ci = k % s.cin;
        int64_t pix = m % (s.ho * s.wo), n = m / (s.ho * s.wo);
        int64_t hi = (pix / s.wo) * s.stride - s.pad + tap / s.k, wi = (pix % s.wo) * s.stride - s.pad + tap % s.k;
        return (hi >= 0 && hi < s.h && wi >= 0 && wi < s.w) ? x[((n * s.h + hi) * s.w + wi) * s.cin + ci] : 0.0f;
    }
    __device__ float b(int64_t k, int64_t co) const { return w[k * s.cout + co]; }
    __device__ void store(int64_t m, int64_t co, float v) const { y[m * s.cout + co] = bias ? v + bias[co] : v; }
};

struct ConvBackwardData {
    const float* dy;
    const float* w;
    float* dx;
    d4j_conv_shape s;
    __device__ float a(int64_t m, int64_t k) const {
        int64_t tap = k / s.cout, co = k % s.cout;
        int64_t pix = m % (s.h * s.w), n = m / (s.h * s.w);
        int64_t dh = pix / s.w + s.pad - tap / s.k, dw = pix % s.w + s.pad - tap % s.k;
        if (dh < 0 || dw < 0 || dh % s.stride || dw % s.stride) return 0.0f;
        int64_t yo = dh / s.stride, xo = dw / s.stride;
        return (yo < s.ho && xo < s.wo) ? dy[((n * s.ho + yo) * s.wo + xo) * s.cout + co] : 0.0f;
    }
    __device__ float b(int64_t k, int64_t ci) const {
        int64_t tap = k / s.cout, co = k % s.cout;
        return w[(tap * s.cin + ci) * s.cout + co];
    }
    __device__ void store(int64_t m, int64_t ci, float v) const { dx[m * s.cin + ci] = v; }
};

struct ConvBackwardWeights {
    const float* x;
    const float* dy;
    float* dw;
    d4j_conv_shape s;
    __device__ float a(int64_t row, int64_t m) const { /* row = (tap, ci), m = output pixel */
        int64_t tap = row / s.cin, ci = row % s.cin;
        int64_t pix = m % (s.ho * s.wo), n = m / (s.ho * s.wo);
        int64_t hi = (pix / s.wo) * s.stride - s.pad + tap / s.k, wi = (pix % s.wo) * s.stride - s.pad + tap % s.k;
        return (hi >= 0 && hi < s.h && wi >= 0 && wi < s.w) ? x[((n * s.h + hi) * s.w + wi) * s.cin + ci] : 0.0f;
    }
    __device__ float b(int64_t m, int64_t co) const { return dy[m * s.cout + co]; }
    __device__ void store(int64_t row, int64_t co, float v) const { atomicAdd(dw + row * s.cout + co, v); }
};

/* dbias[co] += Σ_m dy[m, co]: a block per (channel tile, pixel chunk), atomics across chunks. */
static __global__ void bias_grad_kernel(float* __restrict__ dbias, const float* __restrict__ dy, int64_t pixels,
                                        int64_t cout, int64_t chunk) {
    int64_t co = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (co >= cout) return;
    int64_t m0 = (int64_t)blockIdx.y * chunk, m1 = m0 + chunk < pixels ? m0 + chunk : pixels;
    float sum = 0.0f;
    for (int64_t m = m0; m < m1; m++) sum += dy[m * cout + co];
    atomicAdd(dbias + co, sum);
}

extern "C" d4j_status d4j_cuda_conv2d_forward(const char* fn, int ordinal, void* stream, float* y, const float* x,
                                              const float* w, const float* bias, const d4j_conv_shape* s) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    ConvForward op{x, w, bias, y, *s};
    D4J_CUDA_TRY(fn, d4j_launch_implicit_gemm(op, s->n * s->ho * s->wo, s->cout, (int64_t)s->k * s->k * s->cin, 1,
                                              (cudaStream_t)stream));
    return D4J_OK;
}

extern "C" d4j_status d4j_cuda_conv2d_backward_data(const char* fn, int ordinal, void* stream, float* dx,
                                                    const float* dy, const float* w, const d4j_conv_shape* s) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    ConvBackwardData op{dy, w, dx, *s};
    D4J_CUDA_TRY(fn, d4j_launch_implicit_gemm(op, s->n * s->h * s->w, s->cin, (int64_t)s->k * s->k * s->cout, 1,
                                              (cudaStream_t)stream));
    return D4J_OK;
}

extern "C" d4j_status d4j_cuda_conv2d_backward_weights(const char* fn, int ordinal, void* stream, float* dw,
                                                       float* dbias, const float* dy, const float* x,
                                                       const d4j_conv_shape* s) {
    D4J_CUDA_TRY(fn, cudaSetDevice(ordinal));
    cudaStream_t st = (cudaStream_t)stream;
    int64_t pixels = s->n * s->ho * s->wo, rows = (int64_t)s->k * s->k * s->cin;
    /* enough K slices to give every SM several blocks even when dw is small */
    int64_t tiles = ((rows + 63) / 64) * ((s->cout + 63) / 64);
    int64_t splits = (512 + tiles - 1) / tiles;
    if (splits > pixels / 256) splits = pixels / 256;
    if (splits < 1) splits = 1;
    ConvBackwardWeights op{x, dy, dw, *s};
    D4J_CUDA_TRY(fn, d4j_launch_implicit_gemm(op, rows, s->cout, pixels, (int)splits, st));
    if (dbias) {
        const int64_t chunk = 1024;
        dim3 grid((unsigned)((s->cout + 127) / 128), (unsigned)((pixels + chunk - 1) / chunk));
        bias_grad_kernel<<<grid, 128, 0, st>>>(dbias, dy, pixels, s->cout, chunk);
        D4J_CUDA_TRY(fn, cudaGetLastError());
    }
    return D4J_OK;
}
