/*
 * test_attention.c — fused multi-head self-attention, forward (out, lse) and
 * backward (dqkv), against a float64 loop, run by ctest once per CPU build
 * (AVX2 and, with D4J_CPU_ISA=generic, the portable one: JUnit only reaches
 * the first). The shapes reach both ways the CPU kernels cut the work: one item
 * per (sample, head), and heads split into query chunks; and 4-D qkv, one head,
 * odd L and odd head sizes, D = 128. Also the bad inputs of each.
 */
#include <string.h>

#include "check.h"

static d4j_ctx* ctx;

static d4j_tensor* make(const int64_t* shape, int nd, const float* data) { return tensor_of(ctx, shape, nd, data); }

/* float64 attention of qkv (n, l, 3c): out (n, l, c), lse (n, heads, l), dqkv for dout. */
static void reference(double* out, double* lse, double* dqkv, const float* qkv, const float* dout, int64_t n, int64_t l,
                      int64_t c, int64_t heads) {
    int64_t d = c / heads, ld = 3 * c;
    double scale = 1.0 / sqrt((double)d);
    double* p = malloc((size_t)(l * l) * sizeof(double));
    double* ds = malloc((size_t)(l * l) * sizeof(double));
    memset(dqkv, 0, (size_t)(n * l * ld) * sizeof(double));
    for (int64_t b = 0; b < n; b++)
        for (int64_t h = 0; h < heads; h++) {
            const float* q = qkv + b * l * ld + h * d;
            const float* k = q + c;
            const float* v = q + 2 * c;
            const float* go = dout + b * l * c + h * d;
            double* gq = dqkv + b * l * ld + h * d;
            for (int64_t i = 0; i < l; i++) {
                double m = -INFINITY, sum = 0;
                for (int64_t j = 0; j < l; j++) {
                    double s = 0;
                    for (int64_t e = 0; e < d; e++) s += (double)q[i * ld + e] * k[j * ld + e];
                    p[i * l + j] = s * scale;
                    m = fmax(m, s * scale);
                }
                for (int64_t j = 0; j < l; j++) sum += exp(p[i * l + j] - m);
                lse[(b * heads + h) * l + i] = m + log(sum);
                for (int64_t j = 0; j < l; j++) p[i * l + j] = exp(p[i * l + j] - m) / sum;
                double di = 0;
                for (int64_t e = 0; e < d; e++) {
                    double o = 0;
                    for (int64_t j = 0; j < l; j++) o += p[i * l + j] * v[j * ld + e];
                    out[(b * l + i) * c + h * d + e] = o;
                }
                for (int64_t j = 0; j < l; j++) { /* dP_ij = dO_i · v_j; D_i = Σ_j P_ij dP_ij */
                    double dp = 0;
                    for (int64_t e = 0; e < d; e++) dp += (double)go[i * c + e] * v[j * ld + e];
                    ds[i * l + j] = dp;
                    di += p[i * l + j] * dp;
                }
                for (int64_t j = 0; j < l; j++) ds[i * l + j] = p[i * l + j] * (ds[i * l + j] - di) * scale;
            }
            for (int64_t i = 0; i < l; i++)
                for (int64_t j = 0; j < l; j++)
                    for (int64_t e = 0; e < d; e++) {
                        gq[i * ld + e] += ds[i * l + j] * k[j * ld + e];
                        gq[j * ld + c + e] += ds[i * l + j] * q[i * ld + e];
                        gq[j * ld + 2 * c + e] += p[i * l + j] * go[i * c + e];
                    }
        }
    free(p);
    free(ds);
}

/* qkv given as (n, hh, ww, 3c) when hh > 0, else (n, l, 3c). */
static void attention_case(int64_t n, int64_t hh, int64_t ww, int64_t c, int64_t heads) {
    int64_t l = hh * ww, nq = n * l * 3 * c, no = n * l * c, nl = n * heads * l;
    int64_t sq[4] = {n, hh, ww, 3 * c}, so[4] = {n, hh, ww, c}, sl[3] = {n, heads, l};
    int nd = 4;
    if (hh == 1) { /* (n, l, 3c) */
        sq[1] = l; sq[2] = 3 * c;
        so[1] = l; so[2] = c;
        nd = 3;
    }
    float* qkv = malloc((size_t)nq * sizeof(float));
    float* dout = malloc((size_t)no * sizeof(float));
    double* rout = malloc((size_t)no * sizeof(double));
    double* rlse = malloc((size_t)nl * sizeof(double));
    double* rdqkv = malloc((size_t)nq * sizeof(double));
    test_data(qkv, nq, 11);
    for (int64_t i = 0; i < nq; i++) qkv[i] *= 2.0f; /* logits of a few units: peaked, not one-hot rows */
    test_data(dout, no, 12);
    d4j_tensor *tq = make(sq, nd, qkv), *tdo = make(so, nd, dout), *to = make(so, nd, NULL), *tl = make(sl, 3, NULL),
               *tdq = make(sq, nd, NULL);
    CHECK_OK(d4j_attention_forward(ctx, to, tl, tq, (int32_t)heads));
    CHECK_OK(d4j_attention_backward(ctx, tdq, tdo, tq, to, tl, (int32_t)heads));
    float *out = download(ctx, to, no), *lse = download(ctx, tl, nl), *dqkv = download(ctx, tdq, nq);
    reference(rout, rlse, rdqkv, qkv, dout, n, l, c, heads);
    double eo = rel_err(out, rout, no), el = rel_err(lse, rlse, nl), eg = rel_err(dqkv, rdqkv, nq);
    printf("attention n%lld L%lld (%lldx%lld) C%lld heads%lld: out %.2e lse %.2e dqkv %.2e\n", (long long)n,
           (long long)l, (long long)hh, (long long)ww, (long long)c, (long long)heads, eo, el, eg);
    CHECK(eo < 1e-5, "out relative error %g", eo);
    CHECK(el < 1e-5, "lse relative error %g", el);
    CHECK(eg < 5e-5, "dqkv relative error %g", eg);
    /* run again into the same (now dirty) buffers: the same bits */
    CHECK_OK(d4j_attention_backward(ctx, tdq, tdo, tq, to, tl, (int32_t)heads));
    float* again = download(ctx, tdq, nq);
    CHECK(memcmp(again, dqkv, (size_t)nq * sizeof(float)) == 0, "a second backward gives other bits");
    d4j_tensor_free(tq); d4j_tensor_free(tdo); d4j_tensor_free(to); d4j_tensor_free(tl); d4j_tensor_free(tdq);
    free(qkv); free(dout); free(out); free(lse); free(dqkv); free(rout); free(rlse); free(rdqkv); free(again);
}

static void bad_inputs(void) {
    int64_t sq[3] = {2, 16, 24}, so[3] = {2, 16, 8}, sl[3] = {2, 2, 16}, s25[3] = {2, 16, 25}, s2[2] = {32, 24},
            so9[3] = {2, 16, 9}, sl8[3] = {2, 2, 8};
    d4j_tensor *q = make(sq, 3, NULL), *o = make(so, 3, NULL), *l = make(sl, 3, NULL), *q25 = make(s25, 3, NULL),
               *q2 = make(s2, 2, NULL), *o9 = make(so9, 3, NULL), *l8 = make(sl8, 3, NULL), *dq = make(sq, 3, NULL),
               *dead = make(sq, 3, NULL);
    CHECK_OK(d4j_tensor_free(dead));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "context is NULL", d4j_attention_forward(NULL, o, l, q, 2));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "tensor out is NULL", d4j_attention_forward(ctx, NULL, l, q, 2));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "tensor lse is NULL", d4j_attention_forward(ctx, o, NULL, q, 2));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "not live", d4j_attention_forward(ctx, o, l, dead, 2));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "heads is 3", d4j_attention_forward(ctx, o, l, q, 3));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "heads is 0", d4j_attention_forward(ctx, o, l, q, 0));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "heads is -2", d4j_attention_forward(ctx, o, l, q, -2));
    CHECK_FAILS(D4J_ERR_SHAPE, "qkv has shape [2, 16, 25]", d4j_attention_forward(ctx, o, l, q25, 2));
    CHECK_FAILS(D4J_ERR_SHAPE, "qkv has shape [32, 24]", d4j_attention_forward(ctx, o, l, q2, 2));
    CHECK_FAILS(D4J_ERR_SHAPE, "out has shape [2, 16, 9]", d4j_attention_forward(ctx, o9, l, q, 2));
    CHECK_FAILS(D4J_ERR_SHAPE, "lse has shape [2, 2, 8] but must be [2, 2, 16]", d4j_attention_forward(ctx, o, l8, q, 2));
    CHECK_FAILS(D4J_ERR_SHAPE, "lse has shape [2, 2, 16] but must be [2, 4, 16]", d4j_attention_forward(ctx, o, l, q, 4));
    CHECK_OK(d4j_attention_forward(ctx, o, l, q, 2));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "tensor dqkv is NULL", d4j_attention_backward(ctx, NULL, o, q, o, l, 2));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "tensor dout is NULL", d4j_attention_backward(ctx, dq, NULL, q, o, l, 2));
    CHECK_FAILS(D4J_ERR_SHAPE, "dqkv has shape [2, 16, 25]", d4j_attention_backward(ctx, q25, o, q, o, l, 2));
    CHECK_FAILS(D4J_ERR_SHAPE, "dout has shape [2, 16, 9]", d4j_attention_backward(ctx, dq, o9, q, o, l, 2));
    CHECK_FAILS(D4J_ERR_SHAPE, "out has shape [2, 16, 9]", d4j_attention_backward(ctx, dq, o, q, o9, l, 2));
    CHECK_FAILS(D4J_ERR_SHAPE, "lse has shape [2, 2, 8]", d4j_attention_backward(ctx, dq, o, q, o, l8, 2));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "heads is 5", d4j_attention_backward(ctx, dq, o, q, o, l, 5));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "dqkv must not alias qkv", d4j_attention_backward(ctx, q, o, q, o, l, 2));
    d4j_tensor* all[] = {q, o, l, q25, q2, o9, l8, dq};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) d4j_tensor_free(all[i]);
}

int main(void) {
    CHECK_OK(d4j_ctx_create(&ctx, D4J_DEVICE_CPU, 0));
    printf("CPU kernels: %s\n", d4j_cpu_isa());
    attention_case(1, 7, 7, 12, 3);    /* 3 heads split into query chunks; 4-D qkv */
    attention_case(2, 1, 5, 8, 1);     /* fewer tokens than a register tile */
    attention_case(2, 1, 100, 40, 4);  /* D = 10; chunks of uneven block counts */
    attention_case(40, 1, 50, 16, 1);  /* one item per (sample, head) */
    attention_case(1, 1, 130, 256, 2); /* D = 128 */
    attention_case(9, 4, 4, 36, 4);    /* D = 9, 36 pairs */
    attention_case(3, 1, 1, 8, 2);     /* one token: out = v, dq = dk = 0 */
    bad_inputs();
    CHECK_OK(d4j_ctx_free(ctx));
    return finish("test_attention");
}
