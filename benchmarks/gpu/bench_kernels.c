/*
 * bench_kernels.c — times libd4j's hot CUDA kernels on one GPU with CUDA events
 * recorded on the context's stream (issue 6): after warm-up, the median of REPS
 * timed launches, each on the next of NROT input sets so that repeated runs do
 * not read a cache-resident input. Prints one tab-separated line per case:
 *   case <TAB> shape <TAB> median ms <TAB> bytes moved (minimum) <TAB> flops
 * which benchmarks/gpu/bench_torch.py joins with PyTorch's timings of the same
 * work. Built by CMake with the CUDA backend; runs only where a GPU is.
 * Legend: N batch, H W spatial, C channels, L tokens.
 */
#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>

#include "d4j.h"

#define NROT 4
#define REPS 50
#define WARMUP 5

#define CK(call)                                                                     \
    do {                                                                             \
        d4j_status st_ = (call);                                                     \
        if (st_ != D4J_OK) {                                                         \
            fprintf(stderr, "%s failed: %s\n", #call, d4j_last_error());             \
            exit(1); /* a benchmark program, not the library: stopping is the report */ \
        }                                                                            \
    } while (0)
#define CU(call)                                                                     \
    do {                                                                             \
        cudaError_t e_ = (call);                                                     \
        if (e_ != cudaSuccess) {                                                     \
            fprintf(stderr, "%s failed: %s\n", #call, cudaGetErrorString(e_));       \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

static d4j_ctx* ctx;
static cudaStream_t stream;

static d4j_tensor* tensor(int64_t a, int64_t b, int64_t c, int64_t d, int ndim) {
    int64_t shape[4] = {a, b, c, d};
    d4j_tensor* t;
    CK(d4j_tensor_create(ctx, &t, shape, ndim));
    CK(d4j_fill_normal(ctx, t, 0.0f, 1.0f)); /* never zeros: they can run faster than data */
    return t;
}

/* One case: run(k) launches the work once on input set k (0..NROT-1). */
typedef void (*run_fn)(int k);

static int cmp(const void* a, const void* b) {
    float x = *(const float*)a, y = *(const float*)b;
    return (x > y) - (x < y);
}

static void time_case(const char* name, const char* shape, run_fn run, double bytes, double flops) {
    cudaEvent_t start[REPS], stop[REPS];
    float ms[REPS];
    for (int i = 0; i < WARMUP; i++) run(i % NROT);
    for (int i = 0; i < REPS; i++) {
        CU(cudaEventCreate(&start[i]));
        CU(cudaEventCreate(&stop[i]));
        CU(cudaEventRecord(start[i], stream));
        run(i % NROT);
        CU(cudaEventRecord(stop[i], stream));
    }
    CK(d4j_ctx_synchronize(ctx));
    CU(cudaGetLastError());
    for (int i = 0; i < REPS; i++) {
        CU(cudaEventElapsedTime(&ms[i], start[i], stop[i]));
        CU(cudaEventDestroy(start[i]));
        CU(cudaEventDestroy(stop[i]));
    }
    qsort(ms, REPS, sizeof ms[0], cmp);
    printf("%s\t%s\t%.5f\t%.0f\t%.0f\n", name, shape, ms[REPS / 2], bytes, flops);
    fflush(stdout);
}

/* ---- elementwise: copy, q_sample, sampler step over E = 2^26 floats (256 MiB) ---- */
#define E_N 1024
#define E_H 64
#define E_W 64
#define E_C 16
static const double E = (double)E_N * E_H * E_W * E_C;
static d4j_tensor *ea[NROT], *eb[NROT], *ec[NROT], *ed[NROT];
static int32_t t_idx[E_N];
static float sab[1000], s1mab[1000];

static void run_copy(int k) { CK(d4j_tensor_copy(ctx, eb[k], ea[k])); }
static void run_q_sample(int k) {
    CK(d4j_q_sample(ctx, eb[k], ec[k], ea[k], t_idx, sab, s1mab, E_N, 1000));
}
static int64_t sample_ids[E_N];
static void run_sampler_step(int k) {
    /* ε-prediction at ᾱ = 0.64, guided and clipped, with noise: the step's most expensive path */
    d4j_step_coefficients c = {.x0_from_xt = 1.25f, .x0_from_out = -0.75f, .eps_from_xt = 0.0f, .eps_from_out = 1.0f,
                               .sqrt_alpha_bar = 0.8f, .recip_sqrt_one_minus_alpha_bar = 1.0f / 0.6f,
                               .coef_x0 = 0.3f, .coef_xt = 0.9f, .coef_eps = 0.1f, .sigma = 0.05f,
                               .guidance = 3.0f, .clip_x0 = 1};
    for (int64_t n = 0; n < E_N; n++) sample_ids[n] = n;
    CK(d4j_sampler_step(ctx, ed[k], ea[k], eb[k], ec[k], NULL, &c, 7, 0, sample_ids));
}

/* ---- 3×3 convolution, stride 1, pad 1, Cin = Cout = C ---- */
static int cv_n, cv_hw, cv_c;
static d4j_tensor *cx[NROT], *cy[NROT], *cw, *cb, *cdw, *cdb;
static void run_conv_fwd(int k) { CK(d4j_conv2d_forward(ctx, cy[k], cx[k], cw, cb, 1, 1)); }
static void run_conv_bwd_data(int k) { CK(d4j_conv2d_backward_data(ctx, cx[k], cy[k], cw, 1, 1)); }
static void run_conv_bwd_weights(int k) { CK(d4j_conv2d_backward_weights(ctx, cdw, cdb, cy[k], cx[k], 1, 1)); }

/* ---- GroupNorm + SiLU, 32 groups ---- */
static d4j_tensor *gx[NROT], *gy[NROT], *gdy[NROT], *gmean, *grstd, *gg, *gbeta, *gdg, *gdb;
static void run_gn_fwd(int k) { CK(d4j_groupnorm_forward(ctx, gy[k], gmean, grstd, gx[k], gg, gbeta, 32, 1e-5f, 1)); }
static void run_gn_bwd(int k) {
    CK(d4j_groupnorm_backward(ctx, gy[k], gdg, gdb, gdy[k], gx[k], gmean, grstd, gg, gbeta, 32, 1));
}

/* ---- attention: qkv (N, L, 3C), 4 heads ---- */
static d4j_tensor *aqkv[NROT], *aout[NROT], *alse[NROT], *adout[NROT], *adqkv[NROT];
static void run_attn_fwd(int k) { CK(d4j_attention_forward(ctx, aout[k], alse[k], aqkv[k], 4)); }
static void run_attn_bwd(int k) { CK(d4j_attention_backward(ctx, adqkv[k], adout[k], aqkv[k], aout[k], alse[k], 4)); }

static void free_all(d4j_tensor** t, int n) {
    for (int i = 0; i < n; i++) CK(d4j_tensor_free(t[i]));
}

int main(void) {
    int32_t count = 0;
    CK(d4j_cuda_device_count(&count));
    if (count == 0) {
        fprintf(stderr, "bench_kernels: no CUDA device\n");
        return 77;
    }
    CK(d4j_ctx_create(&ctx, 1 /* CUDA */, 0));
    void* s;
    CK(d4j_ctx_cuda_stream(&s, ctx));
    stream = (cudaStream_t)s;
    char shape[64];

    for (int i = 0; i < 1000; i++) {
        double beta_sum = 1e-4 * (i + 1); /* any valid table: the kernel's work does not depend on it */
        sab[i] = (float)(1.0 / (1.0 + beta_sum));
        s1mab[i] = (float)(beta_sum / (1.0 + beta_sum));
    }
    for (int i = 0; i < E_N; i++) t_idx[i] = (i * 37) % 1000;
    for (int k = 0; k < NROT; k++) {
        ea[k] = tensor(E_N, E_H, E_W, E_C, 4);
        eb[k] = tensor(E_N, E_H, E_W, E_C, 4);
        ec[k] = tensor(E_N, E_H, E_W, E_C, 4);
        ed[k] = tensor(E_N, E_H, E_W, E_C, 4);
    }
    snprintf(shape, sizeof shape, "%dx%dx%dx%d", E_N, E_H, E_W, E_C);
    time_case("copy", shape, run_copy, 8 * E, 0);
    time_case("q_sample", shape, run_q_sample, 12 * E, 0);        /* read x_0; write x_t, eps */
    time_case("sampler_step", shape, run_sampler_step, 16 * E, 0); /* read x, eps, eps_u; write x_prev */
    free_all(ea, NROT), free_all(eb, NROT), free_all(ec, NROT), free_all(ed, NROT);

    const int conv_shapes[2][3] = {{128, 32, 128}, {128, 16, 256}}; /* CIFAR U-Net levels at batch 128 */
    for (int v = 0; v < 2; v++) {
        cv_n = conv_shapes[v][0], cv_hw = conv_shapes[v][1], cv_c = conv_shapes[v][2];
        for (int k = 0; k < NROT; k++) cx[k] = tensor(cv_n, cv_hw, cv_hw, cv_c, 4), cy[k] = tensor(cv_n, cv_hw, cv_hw, cv_c, 4);
        cw = tensor(3, 3, cv_c, cv_c, 4), cb = tensor(cv_c, 1, 1, 1, 1);
        cdw = tensor(3, 3, cv_c, cv_c, 4), cdb = tensor(cv_c, 1, 1, 1, 1);
        double act = 4.0 * cv_n * cv_hw * cv_hw * cv_c, flops = 2.0 * cv_n * cv_hw * cv_hw * cv_c * 9.0 * cv_c;
        snprintf(shape, sizeof shape, "%dx%dx%dx%d", cv_n, cv_hw, cv_hw, cv_c);
        time_case("conv3x3_fwd", shape, run_conv_fwd, 2 * act, flops);
        time_case("conv3x3_bwd_data", shape, run_conv_bwd_data, 2 * act, flops);
        time_case("conv3x3_bwd_weights", shape, run_conv_bwd_weights, 2 * act, flops);
        free_all(cx, NROT), free_all(cy, NROT);
        d4j_tensor* w[4] = {cw, cb, cdw, cdb};
        free_all(w, 4);
    }

    {
        const int n = 128, hw = 32, c = 128;
        for (int k = 0; k < NROT; k++)
            gx[k] = tensor(n, hw, hw, c, 4), gy[k] = tensor(n, hw, hw, c, 4), gdy[k] = tensor(n, hw, hw, c, 4);
        gmean = tensor(n, 32, 1, 1, 2), grstd = tensor(n, 32, 1, 1, 2);
        gg = tensor(c, 1, 1, 1, 1), gbeta = tensor(c, 1, 1, 1, 1), gdg = tensor(c, 1, 1, 1, 1), gdb = tensor(c, 1, 1, 1, 1);
        double e = (double)n * hw * hw * c;
        snprintf(shape, sizeof shape, "%dx%dx%dx%d", n, hw, hw, c);
        time_case("groupnorm_silu_fwd", shape, run_gn_fwd, 8 * e, 0);  /* read x, write y */
        time_case("groupnorm_silu_bwd", shape, run_gn_bwd, 12 * e, 0); /* read dy, x; write dx */
        free_all(gx, NROT), free_all(gy, NROT), free_all(gdy, NROT);
        d4j_tensor* w[6] = {gmean, grstd, gg, gbeta, gdg, gdb};
        free_all(w, 6);
    }

    {
        const int n = 128, l = 256, c = 256, heads = 4, d = c / heads;
        for (int k = 0; k < NROT; k++) {
            aqkv[k] = tensor(n, l, 3 * c, 1, 3), aout[k] = tensor(n, l, c, 1, 3), alse[k] = tensor(n, heads, l, 1, 3);
            adout[k] = tensor(n, l, c, 1, 3), adqkv[k] = tensor(n, l, 3 * c, 1, 3);
        }
        double fwd = 4.0 * n * heads * (double)l * l * d; /* QK^T and PV */
        snprintf(shape, sizeof shape, "%dx%dx%d(h%d)", n, l, c, heads);
        for (int k = 0; k < NROT; k++) run_attn_fwd(k); /* out and lse for the backward */
        time_case("attention_fwd", shape, run_attn_fwd, 4.0 * n * l * 4 * c, fwd);
        time_case("attention_bwd", shape, run_attn_bwd, 4.0 * n * l * 8 * c, 2.5 * fwd); /* 5 GEMMs with recompute */
        free_all(aqkv, NROT), free_all(aout, NROT), free_all(alse, NROT), free_all(adout, NROT), free_all(adqkv, NROT);
    }
    CK(d4j_ctx_free(ctx));
    return 0;
}
