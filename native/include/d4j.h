/*
 * d4j.h — the one public C header of diffusion4j's native core.
 *
 * Rules (see DESIGN.md): plain C, d4j_ prefix, opaque handles, every function
 * returns a d4j_status (0 = OK) and leaves a thread-local message naming the
 * function and the offending value in d4j_last_error(). Nothing here aborts
 * on bad input. Argument order: context, outputs, inputs, weights, sizes.
 *
 * Tensors are float32, 1 to 4 dimensions, row-major; images are NHWC
 * (channels last). Shapes use this legend throughout:
 *   N = batch, H = height, W = width, C = channels, T = diffusion timesteps.
 *
 * Gradients: backward ops overwrite the gradient of their input (dx) and
 * accumulate (+=) into parameter gradients (dw, dbias, dgamma, ...), which a
 * training step zeroes once. Weights of convolutions are (KH, KW, Cin, Cout)
 * and of linear layers (K_in, N_out): the GEMM's B operand, row-major.
 *
 * Randomness: Philox4x32-10 (Salmon et al., SC'11). Element i of a fill draws
 * from counter block (offset + i/4), lane i%4, under key = seed; the same
 * (seed, offset) gives the same bits on the CPU and CUDA backends. A context
 * carries (seed, offset); each random op advances offset by the blocks used.
 * Keyed noise (d4j_keyed_noise, d4j_sampler_step) instead depends only on
 * (key, stream, sample id) and never touches the context's (seed, offset):
 * element j of sample n (j counted within the sample, per_sample = numel /
 * shape[0]) is normal j%4 of the block with counter
 *   (x0, x1, x2, x3) = (j/4, stream, (uint32)id, (uint32)(id >> 32)),  key = key,
 * id = ids[n]. Each sample starts a fresh block (when per_sample is not a
 * multiple of 4 the last block's extra lanes go unused), so a sample's noise
 * does not change with the batch, its position in it, or the device.
 * Normals are Box-Muller on a block's words (x0, x1) -> lanes 0, 1 and
 * (x2, x3) -> lanes 2, 3, with the library's own log and sin/cos (the same
 * bits everywhere).
 */
#ifndef D4J_H
#define D4J_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status ------------------------------------------------------------ */

typedef int d4j_status;

enum {
    D4J_OK = 0,
    D4J_ERR_INVALID_ARGUMENT = 1, /* a value out of its allowed range */
    D4J_ERR_INVALID_HANDLE = 2,   /* null, freed, or closed handle */
    D4J_ERR_SHAPE = 3,            /* shapes that do not fit together */
    D4J_ERR_DEVICE = 4,           /* tensors on another device than the context */
    D4J_ERR_OUT_OF_MEMORY = 5,
    D4J_ERR_NO_DEVICE = 6,        /* a device that does not exist, or CUDA not built */
    D4J_ERR_CUDA = 7,             /* a CUDA runtime error */
    D4J_ERR_INTERNAL = 8,
    D4J_ERR_UNSUPPORTED = 9       /* a feature this device or build does not have */
};

/* Message of the last failed call on this thread ("" if none). */
const char* d4j_last_error(void);
/* Short name of a status code, e.g. "D4J_ERR_SHAPE". */
const char* d4j_status_name(d4j_status status);

/* ---- library and devices ------------------------------------------------- */

enum {
    D4J_DEVICE_CPU = 0,
    D4J_DEVICE_CUDA = 1
};

/* Version as major*10000 + minor*100 + patch. */
d4j_status d4j_version(int32_t* version);
/* 1 if the library was compiled with the CUDA backend. */
d4j_status d4j_cuda_built(int32_t* built);
/* Usable CUDA devices; 0 when CUDA is not built, no driver, or no GPU. */
d4j_status d4j_cuda_device_count(int32_t* count);
/* Name (NUL-terminated, truncated to name_capacity) and total memory in bytes. */
d4j_status d4j_cuda_device_info(char* name, int64_t* total_memory, int32_t ordinal, int64_t name_capacity);
/* The CPU backend's kernel build in use: "avx512+bf16", "avx2+fma" or "generic" (D4J_CPU_ISA=avx2|generic lowers it;
 * D4J_CPU_ISA=avx512 keeps avx512+bf16 and rules out AMX, see d4j_cpu_amx). */
const char* d4j_cpu_isa(void);
/* 1 when the bf16 convolutions (D4J_PRECISION_BF16) run on AMX tiles: the avx512+bf16 build on a CPU
 * with AMX-TILE and AMX-BF16 whose kernel granted this process the tile state; else 0 (they run on
 * VDPBF16PS). D4J_CPU_ISA=avx512 keeps the avx512+bf16 build without AMX. */
int32_t d4j_cpu_amx(void);
/* Worker threads the CPU backend uses (OpenMP). */
d4j_status d4j_cpu_threads(int32_t* threads);
/* Measures the CPU's multiply-add throughput on all threads (register-resident
 * FMA chains, `iterations` rounds of twelve vector FMAs per thread, the vectors
 * as wide as the kernel build's GEMM tiles: 16 floats in avx512+bf16, 8 in the
 * others): GFLOP/s, for benchmarks that report a fraction of peak. 1e8
 * iterations take about a second. */
d4j_status d4j_cpu_fma_peak(double* gflops, int64_t iterations);

/* ---- contexts -------------------------------------------------------------- */

/* One device, one stream, the RNG state and a caching allocator.
 * Not thread-safe: use one per thread.
 *
 * Tensors across contexts (checked by every op; refusals are D4J_ERR_DEVICE naming the
 * tensor and both contexts):
 *  - a tensor an op writes must belong to the op's context, on every device;
 *  - on the CPU an op may read a tensor of another live CPU context (shared weights: CPU
 *    ops are synchronous, so the data is complete when the owner's op returned; the caller
 *    must not write it from another thread at the same time);
 *  - on CUDA an op reads only tensors of its own context: contexts have their own streams
 *    and nothing orders one stream's writes before another's reads, so such reads are
 *    refused rather than raced. Share by copying through the host (download, upload). */
typedef struct d4j_ctx d4j_ctx;

d4j_status d4j_ctx_create(d4j_ctx** out, int32_t device_type, int32_t ordinal);
/* Frees the context; tensors still alive keep its memory until they are freed,
 * but can no longer be used with it. */
d4j_status d4j_ctx_free(d4j_ctx* ctx);
d4j_status d4j_ctx_device(int32_t* device_type, int32_t* ordinal, const d4j_ctx* ctx);
d4j_status d4j_ctx_set_rng(d4j_ctx* ctx, uint64_t seed, uint64_t offset);
d4j_status d4j_ctx_rng(uint64_t* seed, uint64_t* offset, const d4j_ctx* ctx);
/* Waits for all work queued on the context's stream. */
d4j_status d4j_ctx_synchronize(d4j_ctx* ctx);
/* The context's cudaStream_t as a void* (NULL for a CPU context), for interop: a caller
 * may record events on it or queue its own work behind ours. The context keeps owning it. */
d4j_status d4j_ctx_cuda_stream(void** stream, const d4j_ctx* ctx);
/* Bytes held by the caching allocator: in use by tensors, and cached for reuse. */
d4j_status d4j_ctx_memory(int64_t* in_use, int64_t* cached, const d4j_ctx* ctx);
/* Returns cached (unused) blocks to the system. */
d4j_status d4j_ctx_empty_cache(d4j_ctx* ctx);

/* How ctx runs 3×3 stride-1 convolutions (forward, backward data, backward weights) on the CPU:
 * AUTO (the default) picks per shape whichever measured faster, DIRECT forces the direct implicit
 * GEMM, WINOGRAD forces Winograd with AUTO's tile (F(4×4, 3×3)), WINOGRAD_2X2 and
 * WINOGRAD_4X4 force the tile (F(4×4, 3×3) does 4× fewer multiplies than direct but rounds more:
 * relative errors of a few 1e-6 against direct's 1e-7 at 64 channels). Other kernels and strides
 * always run direct; CUDA contexts run direct. */
enum {
    D4J_CONV_AUTO = 0,
    D4J_CONV_DIRECT = 1,
    D4J_CONV_WINOGRAD = 2,
    D4J_CONV_WINOGRAD_2X2 = 3,
    D4J_CONV_WINOGRAD_4X4 = 4
};
d4j_status d4j_ctx_set_conv_algo(d4j_ctx* ctx, int32_t algo);
d4j_status d4j_ctx_conv_algo(int32_t* algo, const d4j_ctx* ctx);
/* The arithmetic of ctx's convolutions and linear layers: FP32 (the default), or BF16 (mixed
 * precision: both factors of every product rounded to bfloat16 with round-to-nearest-even, products
 * summed and written in float32; weights stay float32 master copies rounded per call, and biases,
 * gradients' accumulation, reductions and every other op stay float32). BF16 runs on the CPU
 * backend's avx512+bf16 kernel build (on AMX tiles where d4j_cpu_amx() is 1, else VDPBF16PS); setting it fails with D4J_ERR_UNSUPPORTED, the
 * context keeping FP32, where another build runs (d4j_cpu_isa(): no AVX-512 BF16 on this CPU, or
 * D4J_CPU_ISA lowered it) and on CUDA contexts (no bf16 CUDA kernels yet). */
enum { D4J_PRECISION_FP32 = 0, D4J_PRECISION_BF16 = 1 };
d4j_status d4j_ctx_set_precision(d4j_ctx* ctx, int32_t precision);
d4j_status d4j_ctx_precision(int32_t* precision, const d4j_ctx* ctx);

/* ---- tensors --------------------------------------------------------------- */

typedef struct d4j_tensor d4j_tensor;

#define D4J_MAX_DIMS 4

/* Allocates an uninitialised float32 tensor on ctx's device; every dim >= 1. */
d4j_status d4j_tensor_create(d4j_ctx* ctx, d4j_tensor** out, const int64_t* shape, int32_t ndim);
d4j_status d4j_tensor_free(d4j_tensor* tensor);
d4j_status d4j_tensor_ndim(int32_t* ndim, const d4j_tensor* tensor);
/* Writes ndim extents into shape (capacity >= ndim). */
d4j_status d4j_tensor_shape(int64_t* shape, const d4j_tensor* tensor, int32_t capacity);
d4j_status d4j_tensor_numel(int64_t* numel, const d4j_tensor* tensor);
/* Host -> tensor: count must equal numel. */
d4j_status d4j_tensor_upload(d4j_ctx* ctx, d4j_tensor* dst, const float* src, int64_t count);
/* Tensor -> host: count must equal numel; returns when the data is on the host. */
d4j_status d4j_tensor_download(d4j_ctx* ctx, float* dst, const d4j_tensor* src, int64_t count);
d4j_status d4j_tensor_fill(d4j_ctx* ctx, d4j_tensor* dst, float value);
/* dst <- src, same numel, same device. */
d4j_status d4j_tensor_copy(d4j_ctx* ctx, d4j_tensor* dst, const d4j_tensor* src);
/* Samples (dimension-0 slices) dst[dst_first + i] <- src[src_first + i] for i < count: dst and src
 * have the same dimensions past the first; the ranges lie inside each; dst != src. */
d4j_status d4j_tensor_copy_samples(d4j_ctx* ctx, d4j_tensor* dst, int64_t dst_first, const d4j_tensor* src,
                                   int64_t src_first, int64_t count);

/* ---- random fills (Philox4x32-10) ------------------------------------------ */

/* dst ~ N(mean, std^2), Box-Muller on Philox uniforms; advances ctx's offset. */
d4j_status d4j_fill_normal(d4j_ctx* ctx, d4j_tensor* dst, float mean, float std);
/* dst ~ U[low, high); advances ctx's offset. */
d4j_status d4j_fill_uniform(d4j_ctx* ctx, d4j_tensor* dst, float low, float high);
/* Raw Philox4x32-10 of one block, for known-answer tests:
 * out[4] = philox(counter[4], key[2]). */
d4j_status d4j_philox4x32_10(uint32_t* out, const uint32_t* counter, const uint32_t* key);
/* Per-sample keyed noise: out = a·x + b·z, or b·z when x is NULL, z ~ N(0, I) keyed by
 * (key, stream, ids[n]) as the header's Randomness paragraph says. out, x: (N, ...) alike on
 * ctx's device, out may be x; a, b finite; ids: N host ids, one per sample (dimension 0),
 * non-NULL. The products: a·x + b·z is fmaf(a, x, b·z). Fails when a sample holds more than
 * 2^34 elements (block numbers are 32-bit). Does not use or advance ctx's (seed, offset). */
d4j_status d4j_keyed_noise(d4j_ctx* ctx, d4j_tensor* out, const d4j_tensor* x, float a, float b, uint64_t key,
                           uint32_t stream, const int64_t* ids);

/* ---- forward process ------------------------------------------------------- */

/* q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I), in one pass:
 *   eps ~ N(0, I);  x_t = sqrt_alpha_bar[t[n]] * x_0 + sqrt_one_minus_alpha_bar[t[n]] * eps
 * x_t, eps, x_0: (N, ...) same shape on ctx's device. t: N host ints in [0, T).
 * sqrt_alpha_bar, sqrt_one_minus_alpha_bar: T host floats (the schedule's tables).
 * Draws eps like d4j_fill_normal over eps (same counters), advancing ctx's offset. */
d4j_status d4j_q_sample(d4j_ctx* ctx, d4j_tensor* x_t, d4j_tensor* eps, const d4j_tensor* x_0,
                        const int32_t* t, const float* sqrt_alpha_bar,
                        const float* sqrt_one_minus_alpha_bar, int64_t batch, int64_t timesteps);

/* ---- reverse process ----------------------------------------------------------- */

/* Coefficients of one sampler step, computed by the caller in float64. The model's output o
 * reaches x̂_0 and ε̂ only through the two linear maps, so one step serves every
 * parameterisation, with a = √ᾱ_t, s = √(1 − ᾱ_t):
 *   ε-prediction:  x0_from_xt = 1/a, x0_from_out = −s/a, eps_from_xt = 0,    eps_from_out = 1
 *   x_0-prediction: x0_from_xt = 0,  x0_from_out = 1,    eps_from_xt = 1/s,  eps_from_out = −a/s
 *   v-prediction (v = a ε − s x_0): x0_from_xt = a, x0_from_out = −s, eps_from_xt = s, eps_from_out = a */
typedef struct d4j_step_coefficients {
    float x0_from_xt, x0_from_out;   /* x̂_0 = x0_from_xt·x_t + x0_from_out·o  (o = guided model output) */
    float eps_from_xt, eps_from_out; /* ε̂ = eps_from_xt·x_t + eps_from_out·o */
    float sqrt_alpha_bar, recip_sqrt_one_minus_alpha_bar; /* ε from a clipped x̂_0: (x_t − √ᾱ x̂_0)/√(1−ᾱ) */
    float coef_x0, coef_xt, coef_eps, sigma; /* x_{t−1} = coef_x0 x̂_0 + coef_xt x_t + coef_eps ε̂ + σ z */
    float log_var_max, log_var_min;  /* learned variance (var_out != NULL): log β_t and the clipped log β̃_t */
    float guidance;                  /* o = (w+1)·out − w·out_uncond when out_uncond != NULL */
    int32_t clip_x0;                 /* clamp x̂_0 to [−1,1] and then use the ε it implies */
} d4j_step_coefficients;

/* One fused reverse step, elementwise over x_t's shape (N, ...):
 *   o      = (w + 1) out − w out_uncond   (classifier-free guidance; out alone when out_uncond is NULL)
 *   x̂_0    = fmaf(x0_from_out, o, x0_from_xt·x_t)
 *   ε̂      = fmaf(eps_from_out, o, eps_from_xt·x_t)   ((0, 1) gives ε̂ = o exactly)
 *   if clip_x0: x̂_0 = clip(x̂_0, −1, 1) and ε̂ = (x_t − √ᾱ x̂_0)/√(1 − ᾱ), the noise the
 *               clipped x̂_0 implies, so DDIM's direction term agrees with it
 *   x_prev = coef_x0 x̂_0 + coef_xt x_t + coef_eps ε̂ + σ_i z
 * σ_i = σ when var_out is NULL (log_var_max, log_var_min unused). Otherwise var_out holds the
 * model's raw variance output r (x_t's shape) and σ is a scale on Improved DDPM's learned range
 * (Nichol & Dhariwal 2021 eq. 15, improved-diffusion's LEARNED_RANGE):
 *   σ_i = σ · exp(½ (f·log_var_max + (1 − f)·log_var_min)),  f = (r_i + 1)/2, not clamped
 * with log_var_max = log β_t, log_var_min = log β̃_t (clipped at t = 1) and σ = 1 on a noisy
 * step, σ = 0 on the last (exp is the library's own, as on CUDA; its argument is kept in
 * [−87, 88]). var_out is not read when σ == 0.
 * z is the keyed noise of d4j_keyed_noise with (noise_key, noise_stream, ids[n]) for sample n
 * (the same function, the same bits); it is drawn only when σ > 0, and ids (N host ids) may
 * be NULL only when σ == 0. The step neither uses nor advances ctx's (seed, offset).
 * DDPM ancestral steps use coef_x0, coef_xt = the posterior mean coefficients, coef_eps = 0;
 * DDIM steps coef_x0 = √ᾱ_prev, coef_xt = 0, coef_eps = √(1 − ᾱ_prev − σ²). Every coefficient
 * finite (log_var_* too, even when var_out is NULL), σ >= 0, clip_x0 0 or 1. x_prev may be x_t
 * but not out, out_uncond or var_out. */
d4j_status d4j_sampler_step(d4j_ctx* ctx, d4j_tensor* x_prev, const d4j_tensor* x_t, const d4j_tensor* out,
                            const d4j_tensor* out_uncond, const d4j_tensor* var_out, const d4j_step_coefficients* c,
                            uint64_t noise_key, uint32_t noise_stream, const int64_t* ids);

/* Classifier guidance's DDPM form (Dhariwal & Nichol 2021, Algorithm 1), after a reverse step:
 *   x += scale · Σ ⊙ grad,   Σ = exp(f·log_var_max + (1 − f)·log_var_min),  f = (r + 1)/2
 * elementwise (fmaf(scale·Σ, grad, x)), grad = ∇_x log p(y | x_t), r the model's raw variance
 * output in var_out, not clamped: the learned range of d4j_sampler_step (σ_i² there with σ = 1).
 * var_out NULL means f = 0 (a fixed Σ = exp(log_var_min), e.g. log β_t or log β̃_t).
 * exp is the library's own, as on CUDA; its argument is kept in [−87, 88].
 * x, grad, var_out: alike on ctx's device; x may not be grad or var_out. scale, log_var_max and
 * log_var_min finite (log_var_max too when var_out is NULL). */
d4j_status d4j_variance_shift(d4j_ctx* ctx, d4j_tensor* x, const d4j_tensor* grad, const d4j_tensor* var_out,
                              float scale, float log_var_max, float log_var_min);

/* Per-sample linear combination: out = a[n]·x + b[n]·y for each sample n of dimension 0
 * (fmaf(a[n], x, b[n]·y)), or out = a[n]·x when y is NULL (b is then not read and may be NULL).
 * out, x, y: (N, ...) alike on ctx's device; out may be x or y. a, b: N finite host floats.
 * Conversions between ε, x_0 and v, and regression targets. */
d4j_status d4j_axpby(d4j_ctx* ctx, d4j_tensor* out, const d4j_tensor* x, const d4j_tensor* y, const float* a,
                     const float* b);

/* ---- convolution and linear layers ------------------------------------------ */

/* 2-D convolution, implicit GEMM. x (N, H, W, Cin), w (K, K, Cin, Cout) with
 * K <= 7, bias (Cout) or NULL, y (N, Ho, Wo, Cout), Ho = (H + 2 pad - K) / stride + 1,
 * stride 1..4, 0 <= pad < K. */
d4j_status d4j_conv2d_forward(d4j_ctx* ctx, d4j_tensor* y, const d4j_tensor* x, const d4j_tensor* w,
                              const d4j_tensor* bias, int32_t stride, int32_t pad);
/* The forward with a residual connection's sum fused: y = conv(x, w) + bias + residual, as a
 * residual block's out = skip(x) + conv2(h) needs; residual has y's shape and is not y. The CPU's
 * Winograd kernels add it as they store y (one pass over the output where a separate d4j_add
 * makes three); the other kernels add it after the convolution. Either way the bits of
 * d4j_conv2d_forward followed by d4j_add. */
d4j_status d4j_conv2d_forward_residual(d4j_ctx* ctx, d4j_tensor* y, const d4j_tensor* x, const d4j_tensor* residual,
                                       const d4j_tensor* w, const d4j_tensor* bias, int32_t stride, int32_t pad);
/* dx = dL/dx, overwritten. */
d4j_status d4j_conv2d_backward_data(d4j_ctx* ctx, d4j_tensor* dx, const d4j_tensor* dy, const d4j_tensor* w,
                                    int32_t stride, int32_t pad);
/* dw += dL/dw, dbias += dL/dbias (dbias may be NULL). */
d4j_status d4j_conv2d_backward_weights(d4j_ctx* ctx, d4j_tensor* dw, d4j_tensor* dbias, const d4j_tensor* dy,
                                       const d4j_tensor* x, int32_t stride, int32_t pad);

/* Fully connected layer y = x w + bias. x (..., K), w (K, N), bias (N) or NULL,
 * y (..., N) with x's leading dims. */
d4j_status d4j_linear_forward(d4j_ctx* ctx, d4j_tensor* y, const d4j_tensor* x, const d4j_tensor* w,
                              const d4j_tensor* bias);
/* dx = dL/dx, overwritten. */
d4j_status d4j_linear_backward_data(d4j_ctx* ctx, d4j_tensor* dx, const d4j_tensor* dy, const d4j_tensor* w);
/* dw += dL/dw, dbias += dL/dbias (dbias may be NULL). */
d4j_status d4j_linear_backward_weights(d4j_ctx* ctx, d4j_tensor* dw, d4j_tensor* dbias, const d4j_tensor* dy,
                                       const d4j_tensor* x);

/* ---- normalization ------------------------------------------------------------ */

/* GroupNorm (Wu & He 2018), with SiLU fused when silu != 0: y = SiLU(GN(x)).
 * x, y (N, ..., C) channels last, at most 4096 channels; C divisible by groups;
 * gamma, beta (C); mean, rstd (N, groups) receive the statistics (biased
 * variance, rstd = 1/sqrt(var + eps)) that the backward pass needs.
 * Statistics in one pass over x: float32 mean and sum of squared deviations
 * per block of pixels (CPU: 64-pixel chunks; CUDA: per-thread Welford), merged
 * with Chan et al.'s pairwise update (CPU in float64). Deviations are taken
 * from a local mean, never E[x²] − E[x]², so an offset |mean| >> std costs
 * no digits. */
d4j_status d4j_groupnorm_forward(d4j_ctx* ctx, d4j_tensor* y, d4j_tensor* mean, d4j_tensor* rstd, const d4j_tensor* x,
                                 const d4j_tensor* gamma, const d4j_tensor* beta, int32_t groups, float eps,
                                 int32_t silu);
/* dx overwritten; dgamma, dbeta accumulated. Same groups and silu as the forward. */
d4j_status d4j_groupnorm_backward(d4j_ctx* ctx, d4j_tensor* dx, d4j_tensor* dgamma, d4j_tensor* dbeta,
                                  const d4j_tensor* dy, const d4j_tensor* x, const d4j_tensor* mean,
                                  const d4j_tensor* rstd, const d4j_tensor* gamma, const d4j_tensor* beta,
                                  int32_t groups, int32_t silu);
/* The backward with a residual connection's gradient sum fused: dx = dL/dx + residual, for a
 * block out = f(GN(x)) + r(x) whose ∂L/∂x through r is residual (x's shape, not dx): the CPU adds
 * it as it stores dx (the bits of a separate d4j_add, one pass over dx fewer). */
d4j_status d4j_groupnorm_backward_residual(d4j_ctx* ctx, d4j_tensor* dx, d4j_tensor* dgamma, d4j_tensor* dbeta,
                                           const d4j_tensor* dy, const d4j_tensor* x, const d4j_tensor* residual,
                                           const d4j_tensor* mean, const d4j_tensor* rstd, const d4j_tensor* gamma,
                                           const d4j_tensor* beta, int32_t groups, int32_t silu);

/* ---- attention ----------------------------------------------------------------- */

/* Multi-head self-attention over the L tokens of a feature map, fused:
 * qkv (N, L, 3C) or (N, H, W, 3C) with channels [q | k | v]; head h uses
 * channels [hD, (h+1)D) of each, D = C / heads; out has qkv's leading dims and
 * C channels: per head out = softmax(q k^T / sqrt(D)) v. lse (N, heads, L)
 * receives each softmax row's log-sum-exp for the backward pass, which
 * recomputes the probabilities instead of storing them. */
d4j_status d4j_attention_forward(d4j_ctx* ctx, d4j_tensor* out, d4j_tensor* lse, const d4j_tensor* qkv, int32_t heads);
/* dqkv (qkv's shape) overwritten. */
d4j_status d4j_attention_backward(d4j_ctx* ctx, d4j_tensor* dqkv, const d4j_tensor* dout, const d4j_tensor* qkv,
                                  const d4j_tensor* out, const d4j_tensor* lse, int32_t heads);

/* ---- activations, resampling, skip connections ------------------------------- */

/* y = SiLU(x) = x·sigmoid(x); dx = dy·SiLU'(x). Any shape, y and x alike. */
d4j_status d4j_silu_forward(d4j_ctx* ctx, d4j_tensor* y, const d4j_tensor* x);
d4j_status d4j_silu_backward(d4j_ctx* ctx, d4j_tensor* dx, const d4j_tensor* dy, const d4j_tensor* x);
/* y = a + b, all the same shape; y may be a or b. */
d4j_status d4j_add(d4j_ctx* ctx, d4j_tensor* y, const d4j_tensor* a, const d4j_tensor* b);
/* y = x + b broadcast over the pixels: x, y (N, ..., C), b (N, C) (the U-Net's
 * time-embedding projection); y may be x. Its gradient for b: db[n, c] = sum
 * over the pixels of dy[n, ..., c] (overwritten). */
d4j_status d4j_add_per_sample(d4j_ctx* ctx, d4j_tensor* y, const d4j_tensor* x, const d4j_tensor* b);
d4j_status d4j_sum_per_sample(d4j_ctx* ctx, d4j_tensor* db, const d4j_tensor* dy);
/* Nearest-neighbour 2× upsampling: x (N, H, W, C) -> y (N, 2H, 2W, C); the
 * backward sums each 2×2 block of dy into dx (overwritten). */
d4j_status d4j_upsample_nearest2x_forward(d4j_ctx* ctx, d4j_tensor* y, const d4j_tensor* x);
d4j_status d4j_upsample_nearest2x_backward(d4j_ctx* ctx, d4j_tensor* dx, const d4j_tensor* dy);
/* Global average pooling: x (N, H, W, C) -> y (N, C), y[n, c] = (Σ over the H·W pixels of
 * x[n, ., ., c]) / (H·W), the pixels summed in order in float32 (the same bits on both
 * backends); the backward spreads dy (N, C) over dx (N, H, W, C): dx = dy / (H·W),
 * overwritten. y must not be x, dx not dy. */
d4j_status d4j_global_avg_pool_forward(d4j_ctx* ctx, d4j_tensor* y, const d4j_tensor* x);
d4j_status d4j_global_avg_pool_backward(d4j_ctx* ctx, d4j_tensor* dx, const d4j_tensor* dy);
/* Skip connections: a (..., Ca), b (..., Cb) -> y (..., Ca + Cb), channels of a
 * first; the backward splits dy into da and db (overwritten). */
d4j_status d4j_concat_channels_forward(d4j_ctx* ctx, d4j_tensor* y, const d4j_tensor* a, const d4j_tensor* b);
d4j_status d4j_concat_channels_backward(d4j_ctx* ctx, d4j_tensor* da, d4j_tensor* db, const d4j_tensor* dy);

/* ---- embeddings, dropout, loss -------------------------------------------------- */

/* Sinusoidal timestep embedding (improved-diffusion's timestep_embedding):
 * out (N, dim), dim even; t: N host ints >= 0; half = dim/2,
 * f_i = exp(-ln(max_period) i / half), out[n] = [cos(t f), sin(t f)]. */
d4j_status d4j_timestep_embedding(d4j_ctx* ctx, d4j_tensor* out, const int32_t* t, int64_t batch, float max_period);
/* Dropout: keep each element with probability 1 - p (p in [0, 1)), scaled by
 * 1/(1 - p). The mask comes from the context's Philox stream (element i uses
 * uniform u_i of block offset + i/4; kept when u_i >= p), which advances; the
 * (seed, offset) used are returned so the backward regenerates the same mask. */
d4j_status d4j_dropout_forward(d4j_ctx* ctx, d4j_tensor* y, uint64_t* mask_seed, uint64_t* mask_offset,
                               const d4j_tensor* x, float p);
d4j_status d4j_dropout_backward(d4j_ctx* ctx, d4j_tensor* dx, const d4j_tensor* dy, float p, uint64_t mask_seed,
                                uint64_t mask_offset);
/* Weighted mean-squared error over samples n of dimension 0 (N = shape[0], numel elements):
 *   loss (one element) = (1/numel) Σ_n w_n Σ_j (pred − target)²,
 *   dpred (or NULL)    = 2 w_n (pred − target) / numel, overwritten,
 * with w_n = weights[n] (N finite host floats >= 0) or 1 when weights is NULL (the plain mean).
 * The sum is float64 in a fixed order on both backends (the same bits on every run).
 * pred, target, dpred: (N, ...), all alike; dpred may be pred or target. */
d4j_status d4j_mse_loss(d4j_ctx* ctx, d4j_tensor* loss, d4j_tensor* dpred, const d4j_tensor* pred,
                        const d4j_tensor* target, const float* weights);

/* A diagonal Gaussian latent q(z|x) = N(μ, diag exp(ℓ)) as an encoder writes it: moments (N, H, W, 2C),
 * per position the C means μ then the C log-variances ℓ (latent diffusion's layout). ℓ is clamped
 * to [-30, 20] (as latent diffusion does) before use; the gradient through a clamped ℓ is 0.
 *
 * KL(q ‖ N(0, I)) per sample, averaged over the batch and weighted:
 *   loss (one element)  = (weight / N) Σ_n Σ_{h,w,c} ½ (μ² + e^ℓ − 1 − ℓ),
 *   dmoments (or NULL)  = (weight / N) μ for the means, (weight / N) ½ (e^ℓ − 1) for the log-variances,
 *                         overwritten (dmoments may be moments).
 * The sum is float64 in a fixed order (the same bits on every run, as d4j_mse_loss). weight finite >= 0. */
d4j_status d4j_gaussian_kl(d4j_ctx* ctx, d4j_tensor* loss, d4j_tensor* dmoments, const d4j_tensor* moments,
                           float weight);
/* The reparameterised sample z = μ + e^{ℓ/2} ε, ε ~ N(0, I) from the context's Philox stream
 * (counters as d4j_fill_normal over eps's elements; the stream advances), written to eps;
 * with eps NULL the mode z = μ (no draw). z, eps: (N, H, W, C) for moments (N, H, W, 2C).
 * The backward adds into dmoments (+=): dμ += dz, dℓ += ½ dz e^{ℓ/2} ε (0 where ℓ is clamped). */
d4j_status d4j_latent_sample_forward(d4j_ctx* ctx, d4j_tensor* z, d4j_tensor* eps, const d4j_tensor* moments);
d4j_status d4j_latent_sample_backward(d4j_ctx* ctx, d4j_tensor* dmoments, const d4j_tensor* dz,
                                      const d4j_tensor* eps, const d4j_tensor* moments);

/* Softmax cross-entropy of a classifier's logits (N, K) against labels (N host ints, each in
 * [0, K), non-NULL):
 *   loss (one element)  = (1/N) Σ_n −log softmax(logits_n)[labels[n]],
 *   dlogits (or NULL)   = (softmax(logits_n) − onehot(labels[n])) / N, overwritten; it may be logits.
 * Numerically stable at any scale: each row subtracts its maximum m before exponentiating and
 * its loss is (m − x_y) + log Σ_j exp(x_j − m), the log-sum-exp; a row's loss and gradient are
 * the same function on both backends (same bits), and the rows' losses are summed in float64
 * in a fixed order (the same bits on every run), as d4j_mse_loss does. A label out of range is
 * D4J_ERR_INVALID_ARGUMENT naming its index and value. */
d4j_status d4j_softmax_cross_entropy(d4j_ctx* ctx, d4j_tensor* loss, d4j_tensor* dlogits, const d4j_tensor* logits,
                                     const int32_t* labels);

/* ---- optimizer and weight averaging --------------------------------------------- */

/* One AdamW step (PyTorch's AdamW) over `count` tensors: for each i,
 * params[i] -= lr·weight_decay·params[i]; m, v updated with beta1, beta2;
 * params[i] -= lr/(1-beta1^step) · m / (sqrt(v)/sqrt(1-beta2^step) + eps).
 * params, m, v, grads: arrays of count >= 1 tensors, pairwise the same shape; a tensor in
 * params, m or v appears once in all four lists (grads may repeat). lr, weight_decay >= 0,
 * beta1, beta2 in [0, 1), eps > 0, step >= 1. On CUDA one launch per 32 tensors. */
d4j_status d4j_adamw_step(d4j_ctx* ctx, d4j_tensor* const* params, d4j_tensor* const* m, d4j_tensor* const* v,
                          d4j_tensor* const* grads, int32_t count, float lr, float beta1, float beta2, float eps,
                          float weight_decay, int64_t step);
/* Global L2 norm of all grads into norm (one element; squares summed in float64
 * on both backends), then every grad scaled by min(1, max_norm / (norm + 1e-6))
 * (PyTorch's clip_grad_norm_); max_norm > 0, grads distinct. No host
 * synchronisation on CUDA: the norm and the factor stay on the device. */
d4j_status d4j_clip_grad_norm(d4j_ctx* ctx, d4j_tensor* norm, d4j_tensor* const* grads, int32_t count,
                              float max_norm);
/* ema[i] = decay·ema[i] + (1 - decay)·params[i], decay in [0, 1]; an ema tensor
 * appears once in both lists. */
d4j_status d4j_ema_update(d4j_ctx* ctx, d4j_tensor* const* ema, d4j_tensor* const* params, int32_t count, float decay);

#ifdef __cplusplus
}
#endif

#endif /* D4J_H */
