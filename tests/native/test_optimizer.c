/*
 * test_optimizer.c — multi-tensor AdamW over several steps, global-norm
 * clipping and the weight EMA against float64 loops, run by ctest once per CPU
 * build (AVX2 and, with D4J_CPU_ISA=generic, the portable one). Also the bad
 * inputs of each: counts, NULL and freed tensors, shapes, tensors repeated
 * across the lists, every hyper-parameter out of range.
 */
#include <string.h>

#include "check.h"

#define COUNT 5

static d4j_ctx* ctx;
static const int64_t sizes[COUNT] = {1, 7, 1000, 40000, 33}; /* one past the CPU's one-thread limit */

static void adamw_case(void) {
    const float lr = 3e-3f, b1 = 0.85f, b2 = 0.99f, eps = 1e-6f, wd = 0.1f;
    d4j_tensor *p[COUNT], *m[COUNT], *v[COUNT], *g[COUNT];
    double* ref[COUNT];
    double* rm[COUNT];
    double* rv[COUNT];
    for (int k = 0; k < COUNT; k++) {
        int64_t n = sizes[k];
        float* x = malloc((size_t)n * sizeof(float));
        test_data(x, n, 20 + k);
        p[k] = tensor_of(ctx, &n, 1, x);
        CHECK_OK(d4j_tensor_create(ctx, &m[k], &n, 1));
        CHECK_OK(d4j_tensor_create(ctx, &v[k], &n, 1));
        CHECK_OK(d4j_tensor_fill(ctx, m[k], 0.0f));
        CHECK_OK(d4j_tensor_fill(ctx, v[k], 0.0f));
        g[k] = tensor_of(ctx, &n, 1, NULL);
        ref[k] = malloc((size_t)n * sizeof(double));
        rm[k] = calloc((size_t)n, sizeof(double));
        rv[k] = calloc((size_t)n, sizeof(double));
        for (int64_t i = 0; i < n; i++) ref[k][i] = x[i];
        free(x);
    }
    for (int64_t step = 1; step <= 6; step++) {
        double bc1 = 1 - pow(b1, (double)step), bc2 = 1 - pow(b2, (double)step);
        for (int k = 0; k < COUNT; k++) {
            int64_t n = sizes[k];
            float* gr = malloc((size_t)n * sizeof(float));
            test_data(gr, n, (uint32_t)(100 * step + k));
            CHECK_OK(d4j_tensor_upload(ctx, g[k], gr, n));
            for (int64_t i = 0; i < n; i++) { /* PyTorch's AdamW, in float64 */
                ref[k][i] *= 1 - (double)lr * wd;
                rm[k][i] = b1 * rm[k][i] + (1 - (double)b1) * gr[i];
                rv[k][i] = b2 * rv[k][i] + (1 - (double)b2) * gr[i] * gr[i];
                ref[k][i] -= lr / bc1 * rm[k][i] / (sqrt(rv[k][i]) / sqrt(bc2) + eps);
            }
            free(gr);
        }
        CHECK_OK(d4j_adamw_step(ctx, p, m, v, g, COUNT, lr, b1, b2, eps, wd, step));
    }
    for (int k = 0; k < COUNT; k++) {
        float* got = download(ctx, p[k], sizes[k]);
        double e = rel_err(got, ref[k], sizes[k]);
        CHECK(e < 1e-6, "adamw tensor %d (%lld elements) after 6 steps: relative error %g", k, (long long)sizes[k], e);
        free(got);
        free(ref[k]); free(rm[k]); free(rv[k]);
        d4j_tensor_free(p[k]); d4j_tensor_free(m[k]); d4j_tensor_free(v[k]); d4j_tensor_free(g[k]);
    }
}

static void clip_case(void) {
    d4j_tensor *g[COUNT], *norm = NULL;
    float* x[COUNT];
    int64_t one = 1;
    double sq = 0;
    for (int k = 0; k < COUNT; k++) {
        x[k] = malloc((size_t)sizes[k] * sizeof(float));
        test_data(x[k], sizes[k], 40 + k);
        for (int64_t i = 0; i < sizes[k]; i++) sq += (double)x[k][i] * x[k][i];
        g[k] = tensor_of(ctx, &sizes[k], 1, x[k]);
    }
    norm = tensor_of(ctx, &one, 1, NULL);
    double total = sqrt(sq), max_norm = 2.5, coef = max_norm / (total + 1e-6);
    CHECK_OK(d4j_clip_grad_norm(ctx, norm, g, COUNT, (float)max_norm));
    float got_norm;
    CHECK_OK(d4j_tensor_download(ctx, &got_norm, norm, 1));
    CHECK(fabs(got_norm - total) <= 1e-6 * total, "norm %.9g, float64 %.9g", got_norm, total);
    for (int k = 0; k < COUNT; k++) {
        double* want = malloc((size_t)sizes[k] * sizeof(double));
        for (int64_t i = 0; i < sizes[k]; i++) want[i] = x[k][i] * coef;
        float* got = download(ctx, g[k], sizes[k]);
        double e = rel_err(got, want, sizes[k]);
        CHECK(e < 1e-6, "clipped grads[%d]: relative error %g", k, e);
        free(want); free(got);
    }
    /* now within the limit: the norm is max_norm, the gradients stay as they are */
    float* before = download(ctx, g[2], sizes[2]);
    CHECK_OK(d4j_clip_grad_norm(ctx, norm, g, COUNT, 1e6f));
    CHECK_OK(d4j_tensor_download(ctx, &got_norm, norm, 1));
    CHECK(fabs(got_norm - max_norm) < 1e-5, "norm after clipping %.9g", got_norm);
    float* after = download(ctx, g[2], sizes[2]);
    CHECK(memcmp(before, after, (size_t)sizes[2] * sizeof(float)) == 0, "gradients within the limit were changed");
    free(before); free(after);
    for (int k = 0; k < COUNT; k++) {
        free(x[k]);
        d4j_tensor_free(g[k]);
    }
    d4j_tensor_free(norm);
}

static void ema_case(void) {
    d4j_tensor *e[COUNT], *p[COUNT];
    double* ref[COUNT];
    float* pv[COUNT];
    for (int k = 0; k < COUNT; k++) {
        float* x = malloc((size_t)sizes[k] * sizeof(float));
        pv[k] = malloc((size_t)sizes[k] * sizeof(float));
        test_data(x, sizes[k], 60 + k);
        test_data(pv[k], sizes[k], 70 + k);
        e[k] = tensor_of(ctx, &sizes[k], 1, x);
        p[k] = tensor_of(ctx, &sizes[k], 1, pv[k]);
        ref[k] = malloc((size_t)sizes[k] * sizeof(double));
        for (int64_t i = 0; i < sizes[k]; i++) ref[k][i] = x[i];
        free(x);
    }
    for (int s = 0; s < 10; s++) {
        CHECK_OK(d4j_ema_update(ctx, e, p, COUNT, 0.9f));
        for (int k = 0; k < COUNT; k++)
            for (int64_t i = 0; i < sizes[k]; i++) ref[k][i] = 0.9f * ref[k][i] + (1 - 0.9f) * pv[k][i];
    }
    CHECK_OK(d4j_ema_update(ctx, e, p, COUNT, 1.0f)); /* decay 1: unchanged */
    for (int k = 0; k < COUNT; k++) {
        float* got = download(ctx, e[k], sizes[k]);
        double err = rel_err(got, ref[k], sizes[k]);
        CHECK(err < 1e-6, "ema[%d] after 10 updates: relative error %g", k, err);
        free(got); free(ref[k]); free(pv[k]);
        d4j_tensor_free(e[k]); d4j_tensor_free(p[k]);
    }
}

static void bad_inputs(void) {
    int64_t s3 = 3, s4 = 4, one = 1;
    d4j_tensor *a = tensor_of(ctx, &s3, 1, NULL), *b = tensor_of(ctx, &s3, 1, NULL), *c = tensor_of(ctx, &s3, 1, NULL),
               *d = tensor_of(ctx, &s3, 1, NULL), *e = tensor_of(ctx, &s3, 1, NULL), *f = tensor_of(ctx, &s3, 1, NULL),
               *g = tensor_of(ctx, &s3, 1, NULL), *h = tensor_of(ctx, &s3, 1, NULL), *x4 = tensor_of(ctx, &s4, 1, NULL),
               *n1 = tensor_of(ctx, &one, 1, NULL), *dead = tensor_of(ctx, &s3, 1, NULL);
    CHECK_OK(d4j_tensor_free(dead));
    d4j_tensor *p[2] = {a, b}, *m[2] = {c, d}, *v[2] = {e, f}, *gr[2] = {g, h};
    d4j_tensor *p4[2] = {a, x4}, *pdead[2] = {a, dead}, *pnull[2] = {a, NULL}, *mrep[2] = {c, c}, *vm[2] = {e, c},
               *gp[2] = {b, h}, *grep[2] = {g, g};
    CHECK_OK(d4j_adamw_step(ctx, p, m, v, gr, 2, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 1));
    CHECK_OK(d4j_adamw_step(ctx, p, m, v, grep, 2, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 2)); /* grads may repeat */
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "context is NULL", d4j_adamw_step(NULL, p, m, v, gr, 2, 1e-3f, 0.9f, 0.999f, 1e-8f, 0, 1));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "count is 0", d4j_adamw_step(ctx, p, m, v, gr, 0, 1e-3f, 0.9f, 0.999f, 1e-8f, 0, 1));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "count is -1", d4j_adamw_step(ctx, p, m, v, gr, -1, 1e-3f, 0.9f, 0.999f, 1e-8f, 0, 1));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "m is NULL", d4j_adamw_step(ctx, p, NULL, v, gr, 2, 1e-3f, 0.9f, 0.999f, 1e-8f, 0, 1));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "params[1]", d4j_adamw_step(ctx, pnull, m, v, gr, 2, 1e-3f, 0.9f, 0.999f, 1e-8f, 0, 1));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "not live", d4j_adamw_step(ctx, pdead, m, v, gr, 2, 1e-3f, 0.9f, 0.999f, 1e-8f, 0, 1));
    CHECK_FAILS(D4J_ERR_SHAPE, "grads[1]", d4j_adamw_step(ctx, p4, m, v, gr, 2, 1e-3f, 0.9f, 0.999f, 1e-8f, 0, 1));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "m[0] and m[1] are the same tensor",
                d4j_adamw_step(ctx, p, mrep, v, gr, 2, 1e-3f, 0.9f, 0.999f, 1e-8f, 0, 1));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "m[0] and v[1] are the same tensor",
                d4j_adamw_step(ctx, p, m, vm, gr, 2, 1e-3f, 0.9f, 0.999f, 1e-8f, 0, 1));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "params[1] and grads[0] are the same tensor",
                d4j_adamw_step(ctx, p, m, v, gp, 2, 1e-3f, 0.9f, 0.999f, 1e-8f, 0, 1));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "lr is -0.001", d4j_adamw_step(ctx, p, m, v, gr, 2, -1e-3f, 0.9f, 0.999f, 1e-8f, 0, 1));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "lr is nan", d4j_adamw_step(ctx, p, m, v, gr, 2, NAN, 0.9f, 0.999f, 1e-8f, 0, 1));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "beta1 is 1", d4j_adamw_step(ctx, p, m, v, gr, 2, 1e-3f, 1.0f, 0.999f, 1e-8f, 0, 1));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "beta2 is -0.5", d4j_adamw_step(ctx, p, m, v, gr, 2, 1e-3f, 0.9f, -0.5f, 1e-8f, 0, 1));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "eps is 0", d4j_adamw_step(ctx, p, m, v, gr, 2, 1e-3f, 0.9f, 0.999f, 0.0f, 0, 1));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "weight_decay is -1",
                d4j_adamw_step(ctx, p, m, v, gr, 2, 1e-3f, 0.9f, 0.999f, 1e-8f, -1.0f, 1));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "step is 0", d4j_adamw_step(ctx, p, m, v, gr, 2, 1e-3f, 0.9f, 0.999f, 1e-8f, 0, 0));

    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "tensor norm is NULL", d4j_clip_grad_norm(ctx, NULL, gr, 2, 1.0f));
    CHECK_FAILS(D4J_ERR_SHAPE, "norm has shape [3]", d4j_clip_grad_norm(ctx, a, gr, 2, 1.0f));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "count is 0", d4j_clip_grad_norm(ctx, n1, gr, 0, 1.0f));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "grads is NULL", d4j_clip_grad_norm(ctx, n1, NULL, 2, 1.0f));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "not live", d4j_clip_grad_norm(ctx, n1, pdead, 2, 1.0f));
    d4j_tensor* gn[2] = {g, n1};
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "grads[1] is the norm tensor", d4j_clip_grad_norm(ctx, n1, gn, 2, 1.0f));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "grads[0] and grads[1] are the same tensor", d4j_clip_grad_norm(ctx, n1, grep, 2, 1.0f));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "max_norm is 0", d4j_clip_grad_norm(ctx, n1, gr, 2, 0.0f));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "max_norm is inf", d4j_clip_grad_norm(ctx, n1, gr, 2, INFINITY));

    CHECK_OK(d4j_ema_update(ctx, m, p, 2, 0.5f));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "count is 0", d4j_ema_update(ctx, m, p, 0, 0.5f));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "ema is NULL", d4j_ema_update(ctx, NULL, p, 2, 0.5f));
    CHECK_FAILS(D4J_ERR_SHAPE, "ema[1] has shape [3]", d4j_ema_update(ctx, m, p4, 2, 0.5f));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "ema[0] and ema[1] are the same tensor", d4j_ema_update(ctx, mrep, p, 2, 0.5f));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "ema[0] and params[1] are the same tensor", d4j_ema_update(ctx, m, vm, 2, 0.5f));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "decay is 1.5", d4j_ema_update(ctx, m, p, 2, 1.5f));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "decay is -0.25", d4j_ema_update(ctx, m, p, 2, -0.25f));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "decay is nan", d4j_ema_update(ctx, m, p, 2, NAN));
    d4j_tensor* all[] = {a, b, c, d, e, f, g, h, x4, n1};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) d4j_tensor_free(all[i]);
}

int main(void) {
    CHECK_OK(d4j_ctx_create(&ctx, D4J_DEVICE_CPU, 0));
    printf("CPU kernels: %s\n", d4j_cpu_isa());
    adamw_case();
    clip_case();
    ema_case();
    bad_inputs();
    CHECK_OK(d4j_ctx_free(ctx));
    return finish("test_optimizer");
}
