/*
 * test_cuda.c — the CUDA backend against the CPU backend: Philox fills bit for
 * bit, q_sample to float32 rounding, keyed noise and the sampler step's noise
 * bit for bit (more samples than one launch's id chunk included), the sampler
 * step (learned variance too), axpby and the weighted MSE against the CPU, transfers round-trip,
 * device mismatches rejected. Skipped (exit 77, with the reason) where there is
 * no GPU.
 */
#include <string.h>

#include "check.h"

#define T 1000

static int64_t count_diff(const float* a, const float* b, int64_t n) {
    int64_t d = 0;
    for (int64_t i = 0; i < n; i++) d += memcmp(&a[i], &b[i], sizeof(float)) != 0;
    return d;
}

/* Runs fill_normal, fill_uniform and q_sample on ctx; returns host copies. */
static void run(d4j_ctx* ctx, const int64_t* shape, int nd, const float* x0, const int32_t* t, const float* ab,
                const float* b1, float* normal, float* uniform, float* xt, float* eps) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    d4j_tensor *tn, *tu, *tx0, *txt, *teps;
    CHECK_OK(d4j_tensor_create(ctx, &tn, shape, nd));
    CHECK_OK(d4j_tensor_create(ctx, &tu, shape, nd));
    CHECK_OK(d4j_tensor_create(ctx, &tx0, shape, nd));
    CHECK_OK(d4j_tensor_create(ctx, &txt, shape, nd));
    CHECK_OK(d4j_tensor_create(ctx, &teps, shape, nd));
    CHECK_OK(d4j_tensor_fill(ctx, txt, NAN));
    CHECK_OK(d4j_tensor_fill(ctx, teps, NAN));
    CHECK_OK(d4j_tensor_upload(ctx, tx0, x0, n));
    CHECK_OK(d4j_ctx_set_rng(ctx, 0xfeedbeefcafeULL, 3));
    CHECK_OK(d4j_fill_normal(ctx, tn, 0.5f, 2.0f));
    CHECK_OK(d4j_fill_uniform(ctx, tu, -1.0f, 1.0f));
    CHECK_OK(d4j_q_sample(ctx, txt, teps, tx0, t, ab, b1, shape[0], T));
    CHECK_OK(d4j_tensor_download(ctx, normal, tn, n));
    CHECK_OK(d4j_tensor_download(ctx, uniform, tu, n));
    CHECK_OK(d4j_tensor_download(ctx, xt, txt, n));
    CHECK_OK(d4j_tensor_download(ctx, eps, teps, n));
    d4j_tensor_free(tn); d4j_tensor_free(tu); d4j_tensor_free(tx0); d4j_tensor_free(txt); d4j_tensor_free(teps);
}

static void compare(d4j_ctx* cpu, d4j_ctx* gpu, const int64_t* shape, int nd) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    float ab[T], b1[T];
    double abar = 1;
    for (int i = 0; i < T; i++) {
        abar *= 1 - (1e-4 + (0.02 - 1e-4) * i / (T - 1));
        ab[i] = (float)sqrt(abar);
        b1[i] = (float)sqrt(1 - abar);
    }
    int32_t* t = malloc((size_t)shape[0] * sizeof(int32_t));
    for (int64_t s = 0; s < shape[0]; s++) t[s] = (int32_t)((s * 131 + 7) % T);
    float* x0 = malloc((size_t)n * sizeof(float));
    test_data(x0, n, 11);
    float* h[8];
    for (int i = 0; i < 8; i++) h[i] = malloc((size_t)n * sizeof(float));
    run(cpu, shape, nd, x0, t, ab, b1, h[0], h[1], h[2], h[3]);
    run(gpu, shape, nd, x0, t, ab, b1, h[4], h[5], h[6], h[7]);
    int64_t dn = count_diff(h[0], h[4], n), du = count_diff(h[1], h[5], n), de = count_diff(h[3], h[7], n);
    double num = 0, den = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = (double)h[2][i] - h[6][i];
        num += d * d;
        den += (double)h[2][i] * h[2][i];
        if (!(d == d)) num = INFINITY;
    }
    double rel = sqrt(num / den);
    CHECK(dn == 0, "n=%lld: %lld normals differ between CPU and CUDA", (long long)n, (long long)dn);
    CHECK(du == 0, "n=%lld: %lld uniforms differ between CPU and CUDA", (long long)n, (long long)du);
    CHECK(de == 0, "n=%lld: %lld q_sample eps differ between CPU and CUDA", (long long)n, (long long)de);
    CHECK(rel < 1e-7, "n=%lld: q_sample x_t CPU vs CUDA relative error %.3g", (long long)n, rel);
    printf("n=%lld: normals %lld, uniforms %lld, eps %lld differing bits; x_t rel err %.3g (%lld bit-identical)\n",
           (long long)n, (long long)dn, (long long)du, (long long)de, rel,
           (long long)(n - count_diff(h[2], h[6], n)));
    for (int i = 0; i < 8; i++) free(h[i]);
    free(x0);
    free(t);
}

/* keyed noise, the sampler step (ε- and v-style, guided and clipped, noisy; learned variance),
 * axpby and the weighted MSE on ctx; results into out[0..6] (host, n each) and out[7] (2 losses). */
static void run_keyed(d4j_ctx* ctx, const int64_t* shape, int nd, float* out[8]) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    int64_t batch = shape[0], one[1] = {1};
    float *x = malloc((size_t)n * 4), *e = malloc((size_t)n * 4), *u = malloc((size_t)n * 4);
    float* r = malloc((size_t)n * 4);
    float *a = malloc((size_t)batch * 4), *b = malloc((size_t)batch * 4);
    int64_t* ids = malloc((size_t)batch * sizeof(int64_t));
    test_data(x, n, 41);
    test_data(e, n, 42);
    test_data(u, n, 43);
    test_data(r, n, 46);
    for (int64_t i = 0; i < n; i++) r[i] *= 1.5f; /* raw variance outputs past ±1 too */
    test_data(a, batch, 44);
    test_data(b, batch, 45);
    for (int64_t s = 0; s < batch; s++) {
        ids[s] = (int64_t)(s * 2654435761u) - 7;
        b[s] = fabsf(b[s]); /* also the MSE weights */
    }
    d4j_tensor *tx = tensor_of(ctx, shape, nd, x), *te = tensor_of(ctx, shape, nd, e), *tu = tensor_of(ctx, shape, nd, u);
    d4j_tensor* tr = tensor_of(ctx, shape, nd, r);
    d4j_tensor* t[7];
    for (int i = 0; i < 7; i++) t[i] = tensor_of(ctx, shape, nd, NULL);
    d4j_tensor *l1 = tensor_of(ctx, one, 1, NULL), *l2 = tensor_of(ctx, one, 1, NULL);
    CHECK_OK(d4j_keyed_noise(ctx, t[0], tx, 0.6f, 0.8f, 0xabcdef0123ULL, 5, ids));
    d4j_step_coefficients eps = {.x0_from_xt = 1.25f, .x0_from_out = -0.75f, .eps_from_xt = 0, .eps_from_out = 1,
                                 .sqrt_alpha_bar = 0.8f, .recip_sqrt_one_minus_alpha_bar = 1 / 0.6f, .coef_x0 = 0.9f,
                                 .coef_xt = 0, .coef_eps = 0.4f, .sigma = 0.2f, .guidance = 3.0f, .clip_x0 = 1};
    d4j_step_coefficients v = {.x0_from_xt = 0.8f, .x0_from_out = -0.6f, .eps_from_xt = 0.6f, .eps_from_out = 0.8f,
                               .sqrt_alpha_bar = 0.8f, .recip_sqrt_one_minus_alpha_bar = 1 / 0.6f, .coef_x0 = 0.3f,
                               .coef_xt = 0.7f, .coef_eps = 0, .sigma = 0.1f, .guidance = 0, .clip_x0 = 0};
    CHECK_OK(d4j_sampler_step(ctx, t[1], tx, te, tu, NULL, &eps, 99, 2, ids));
    CHECK_OK(d4j_sampler_step(ctx, t[2], tx, te, NULL, NULL, &v, 99, 2, ids));
    d4j_step_coefficients z = {.sigma = 1};
    CHECK_OK(d4j_sampler_step(ctx, t[3], tx, te, NULL, NULL, &z, 99, 2, ids)); /* the step's z alone */
    /* learned variance on the DDPM step ᾱ 0.36 -> 0.64: β = 0.4375, β̃ = 0.24609375 */
    d4j_step_coefficients lv = {.x0_from_xt = 1 / 0.6f, .x0_from_out = -0.8f / 0.6f, .eps_from_xt = 0,
                                .eps_from_out = 1, .sqrt_alpha_bar = 0.6f, .recip_sqrt_one_minus_alpha_bar = 1.25f,
                                .coef_x0 = 0.546875f, .coef_xt = 0.421875f, .coef_eps = 0, .sigma = 1,
                                .log_var_max = -0.82667857f, .log_var_min = -1.40204272f, .guidance = 2.0f,
                                .clip_x0 = 1};
    CHECK_OK(d4j_sampler_step(ctx, t[6], tx, te, tu, tr, &lv, 99, 2, ids));
    CHECK_OK(d4j_axpby(ctx, t[4], tx, te, a, b));
    CHECK_OK(d4j_mse_loss(ctx, l1, t[5], tx, te, b));
    CHECK_OK(d4j_mse_loss(ctx, l2, NULL, tx, te, b));
    for (int i = 0; i < 7; i++) out[i] = download(ctx, t[i], n);
    out[7] = malloc(2 * sizeof(float));
    CHECK_OK(d4j_tensor_download(ctx, out[7], l1, 1));
    CHECK_OK(d4j_tensor_download(ctx, out[7] + 1, l2, 1));
    for (int i = 0; i < 7; i++) d4j_tensor_free(t[i]);
    d4j_tensor_free(tx); d4j_tensor_free(te); d4j_tensor_free(tu); d4j_tensor_free(tr);
    d4j_tensor_free(l1); d4j_tensor_free(l2);
    free(x); free(e); free(u); free(r); free(a); free(b); free(ids);
}

static void compare_keyed(d4j_ctx* cpu, d4j_ctx* gpu, const int64_t* shape, int nd) {
    static const char* names[7] = {"keyed noise", "eps step (guided, clipped)", "v step", "step noise", "axpby",
                                   "weighted mse gradient", "learned-variance step (guided, clipped)"};
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    float *c[8], *g[8];
    run_keyed(cpu, shape, nd, c);
    run_keyed(gpu, shape, nd, g);
    for (int i = 0; i < 7; i++) {
        double num = 0, den = 0;
        for (int64_t k = 0; k < n; k++) {
            double d = (double)c[i][k] - g[i][k];
            num += d * d;
            den += (double)c[i][k] * c[i][k];
            if (!(d == d)) num = INFINITY;
        }
        double rel = sqrt(num / den);
        int64_t diff = count_diff(c[i], g[i], n);
        /* the noise and axpby are the same operations on both: bit for bit */
        if (i == 0 || i == 3 || i == 4) CHECK(diff == 0, "n=%lld: %s: %lld elements differ", (long long)n, names[i], (long long)diff);
        CHECK(rel < 1e-6, "n=%lld: %s CPU vs CUDA relative error %.3g", (long long)n, names[i], rel);
        printf("n=%lld %s: rel err %.3g, %lld of %lld bits differ\n", (long long)n, names[i], rel, (long long)diff,
               (long long)n);
    }
    double el = fabs((double)c[7][0] - g[7][0]) / fabs((double)c[7][0]);
    CHECK(el < 1e-6, "n=%lld: weighted mse CPU %.9g vs CUDA %.9g", (long long)n, c[7][0], g[7][0]);
    CHECK(memcmp(&g[7][0], &g[7][1], 4) == 0, "the CUDA weighted loss changed between runs");
    for (int i = 0; i < 8; i++) {
        free(c[i]);
        free(g[i]);
    }
}

int main(void) {
    int32_t built, count;
    CHECK_OK(d4j_cuda_built(&built));
    CHECK_OK(d4j_cuda_device_count(&count));
    if (count == 0) {
        printf("test_cuda skipped: no CUDA device visible (library built %s CUDA)\n", built ? "with" : "without");
        return 77;
    }
    char name[256];
    int64_t mem;
    CHECK_OK(d4j_cuda_device_info(name, &mem, 0, sizeof name));
    printf("CUDA device 0: %s, %.1f GiB\n", name, mem / 1073741824.0);
    d4j_ctx *cpu, *gpu;
    CHECK_OK(d4j_ctx_create(&cpu, D4J_DEVICE_CPU, 0));
    CHECK_OK(d4j_ctx_create(&gpu, D4J_DEVICE_CUDA, 0));
    void* stream = NULL;
    CHECK_OK(d4j_ctx_cuda_stream(&stream, gpu));
    CHECK(stream != NULL, "a CUDA context owns a stream");
    int64_t s1[4] = {3, 5, 7, 2}, s2[4] = {64, 32, 32, 1}, s3[4] = {300, 14, 14, 3}, s4[4] = {256, 64, 64, 3};
    compare(cpu, gpu, s1, 4);
    compare(cpu, gpu, s2, 4);
    compare(cpu, gpu, s3, 4); /* more samples than one launch's chunk */
    compare(cpu, gpu, s4, 4);
    int64_t k1[3] = {3, 5, 1}, k2[4] = {300, 7, 7, 3}, k3[2] = {2, 100003};
    compare_keyed(cpu, gpu, k1, 3);
    compare_keyed(cpu, gpu, k2, 4); /* more samples than one launch's 256 ids */
    compare_keyed(cpu, gpu, k3, 2);

    /* a CPU tensor handed to a CUDA context is refused */
    int64_t four[1] = {4};
    d4j_tensor* host;
    CHECK_OK(d4j_tensor_create(cpu, &host, four, 1));
    CHECK_FAILS(D4J_ERR_DEVICE, "tensor dst is on cpu:0 but the context is on cuda:0",
                d4j_tensor_fill(gpu, host, 1.0f));
    d4j_tensor_free(host);

    /* another CUDA context's tensor: refused for writes and, on CUDA, for reads too (d4j.h) */
    d4j_ctx* gpu2;
    CHECK_OK(d4j_ctx_create(&gpu2, D4J_DEVICE_CUDA, 0));
    d4j_tensor *mine, *theirs;
    CHECK_OK(d4j_tensor_create(gpu, &mine, four, 1));
    CHECK_OK(d4j_tensor_create(gpu2, &theirs, four, 1));
    CHECK_OK(d4j_tensor_fill(gpu, mine, 1.0f));
    CHECK_OK(d4j_tensor_fill(gpu2, theirs, 2.0f));
    CHECK_FAILS(D4J_ERR_DEVICE, "an op writes only tensors of its own context", d4j_tensor_fill(gpu, theirs, 3.0f));
    CHECK_FAILS(D4J_ERR_DEVICE, "on CUDA an op reads only tensors of its own context",
                d4j_add(gpu, mine, mine, theirs));
    CHECK_FAILS(D4J_ERR_DEVICE, "tensor src belongs to context", d4j_tensor_copy(gpu, mine, theirs));
    float back[4];
    CHECK_OK(d4j_tensor_download(gpu2, back, theirs, 4));
    CHECK(back[0] == 2.0f && back[3] == 2.0f, "the refused ops must leave the tensor alone: %g", back[0]);
    d4j_tensor_free(mine);
    d4j_tensor_free(theirs);
    CHECK_OK(d4j_ctx_free(gpu2));
    CHECK_OK(d4j_ctx_synchronize(gpu));
    CHECK_OK(d4j_ctx_free(gpu));
    CHECK_OK(d4j_ctx_free(cpu));
    return finish("test_cuda");
}
