/*
 * test_norm_ops.c — GroupNorm (+SiLU), SiLU, add, nearest 2x upsampling,
 * channel concatenation, the timestep embedding, dropout and the MSE loss
 * against float64 loops, run by ctest once per CPU build (AVX2 and, with
 * D4J_CPU_ISA=generic, the portable one: JUnit only reaches the first). Also
 * the bad inputs of each: NULL and freed tensors, shapes, groups, p. The GroupNorm backward
 * with a fused residual must give the bits of the backward and an add.
 */
#include <string.h>

#include "check.h"

static d4j_ctx* ctx;

static d4j_tensor* make(const int64_t* shape, int nd, const float* data) { return tensor_of(ctx, shape, nd, data); }

static float* get(const d4j_tensor* t, int64_t n) { return download(ctx, t, n); }

static double sigmoid(double z) { return 1.0 / (1.0 + exp(-z)); }

/* x (n, hw, c) with an offset (3 by default; a naive E[x²] − E[x]² would lose digits, and at
 * 30 it would miss the statistics tolerance in float32). */
static void groupnorm_case_at(int64_t n, int64_t hw, int64_t c, int64_t g, int silu, float offset) {
    int64_t size = n * hw * c, cg = c / g, shape[3] = {n, hw, c}, vs[1] = {c}, ss[2] = {n, g};
    float* x = malloc((size_t)size * sizeof(float));
    float* dy = malloc((size_t)size * sizeof(float));
    float gamma[512], beta[512], dg0[512], db0[512];
    test_data(x, size, 1);
    for (int64_t i = 0; i < size; i++) x[i] = 2.0f * x[i] + offset;
    test_data(dy, size, 2);
    test_data(gamma, c, 3);
    test_data(beta, c, 4);
    test_data(dg0, c, 5); /* the gradients start non-zero: the backward must add */
    test_data(db0, c, 6);
    d4j_tensor *tx = make(shape, 3, x), *tdy = make(shape, 3, dy), *ty = make(shape, 3, NULL),
               *tdx = make(shape, 3, NULL), *tg = make(vs, 1, gamma), *tb = make(vs, 1, beta),
               *tdg = make(vs, 1, dg0), *tdb = make(vs, 1, db0), *tm = make(ss, 2, NULL), *tr = make(ss, 2, NULL);
    CHECK_OK(d4j_groupnorm_forward(ctx, ty, tm, tr, tx, tg, tb, (int32_t)g, 1e-5f, silu));
    CHECK_OK(d4j_groupnorm_backward(ctx, tdx, tdg, tdb, tdy, tx, tm, tr, tg, tb, (int32_t)g, silu));
    float *y = get(ty, size), *dx = get(tdx, size), *dg = get(tdg, c), *db = get(tdb, c), *mu = get(tm, n * g),
          *rs = get(tr, n * g);

    double* ry = malloc((size_t)size * sizeof(double));
    double* rdx = malloc((size_t)size * sizeof(double));
    double rdg[512], rdb[512], rmu[4096], rrs[4096];
    for (int64_t ch = 0; ch < c; ch++) rdg[ch] = dg0[ch], rdb[ch] = db0[ch];
    for (int64_t b = 0; b < n; b++)
        for (int64_t grp = 0; grp < g; grp++) {
            double m = (double)(hw * cg), s = 0, v = 0, a = 0, bb = 0;
#define EACH for (int64_t p = 0; p < hw; p++) for (int64_t ch = grp * cg; ch < (grp + 1) * cg; ch++)
#define AT ((b * hw + p) * c + ch)
            EACH s += x[AT];
            double mean = s / m;
            EACH v += (x[AT] - mean) * (x[AT] - mean);
            double r = 1.0 / sqrt(v / m + 1e-5);
            rmu[b * g + grp] = mean;
            rrs[b * g + grp] = r;
            EACH {
                double xh = (x[AT] - mean) * r, z = xh * gamma[ch] + beta[ch];
                double sg = sigmoid(z), u = silu ? dy[AT] * sg * (1 + z * (1 - sg)) : dy[AT];
                ry[AT] = silu ? z * sg : z;
                rdb[ch] += u;
                rdg[ch] += u * xh;
                a += gamma[ch] * u;
                bb += gamma[ch] * u * xh;
            }
            EACH {
                double xh = (x[AT] - mean) * r, z = xh * gamma[ch] + beta[ch];
                double sg = sigmoid(z), u = silu ? dy[AT] * sg * (1 + z * (1 - sg)) : dy[AT];
                rdx[AT] = r * (gamma[ch] * u - a / m - xh * bb / m);
            }
#undef EACH
#undef AT
        }
    double e[6] = {rel_err(y, ry, size), rel_err(dx, rdx, size), rel_err(dg, rdg, c),
                   rel_err(db, rdb, c),  rel_err(mu, rmu, n * g), rel_err(rs, rrs, n * g)};
    printf("groupnorm %s %lldx%lldx%lld g%lld silu=%d offset %g: y %.2e dx %.2e dgamma %.2e dbeta %.2e mean %.2e rstd %.2e\n",
           d4j_cpu_isa(), (long long)n, (long long)hw, (long long)c, (long long)g, silu, (double)offset, e[0], e[1], e[2],
           e[3], e[4], e[5]);
    CHECK(e[0] < 1e-5 && e[1] < 2e-5 && e[2] < 2e-5 && e[3] < 2e-5, "groupnorm vs float64: %.3g %.3g %.3g %.3g", e[0],
          e[1], e[2], e[3]);
    CHECK(e[4] < 1e-6 && e[5] < 1e-6, "statistics vs float64: %.3g %.3g", e[4], e[5]);

    /* the fused residual: dx + residual and the same dgamma, dbeta, to the bit */
    float* res = malloc((size_t)size * sizeof(float));
    test_data(res, size, 7);
    d4j_tensor *tres = make(shape, 3, res), *tdx2 = make(shape, 3, NULL), *tdg2 = make(vs, 1, dg0),
               *tdb2 = make(vs, 1, db0);
    CHECK_OK(d4j_groupnorm_backward_residual(ctx, tdx2, tdg2, tdb2, tdy, tx, tres, tm, tr, tg, tb, (int32_t)g, silu));
    float *dx2 = get(tdx2, size), *dg2 = get(tdg2, c), *db2 = get(tdb2, c);
    int64_t differ = 0;
    for (int64_t i = 0; i < size; i++) {
        float want = dx[i] + res[i];
        differ += memcmp(&want, &dx2[i], sizeof want) != 0;
    }
    CHECK(differ == 0, "backward_residual: %lld of %lld dx differ from dx + residual", (long long)differ,
          (long long)size);
    CHECK(memcmp(dg, dg2, (size_t)c * sizeof(float)) == 0 && memcmp(db, db2, (size_t)c * sizeof(float)) == 0,
          "backward_residual changed dgamma or dbeta");
    d4j_tensor* all[] = {tx, tdy, ty, tdx, tg, tb, tdg, tdb, tm, tr, tres, tdx2, tdg2, tdb2};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) d4j_tensor_free(all[i]);
    free(x); free(dy); free(y); free(dx); free(dg); free(db); free(mu); free(rs); free(ry); free(rdx);
    free(res); free(dx2); free(dg2); free(db2);
}

/* A sample's output does not depend on its batch: the first 3 of 4 samples normalized as a
 * batch of 3 (with 2+ threads, the per-chunk schedule) and of 4 (per sample) agree to the bit. */
static void groupnorm_batch_independent(void) {
    int64_t hw = 1024, c = 64, g = 32, s4[3] = {4, hw, c}, s3[3] = {3, hw, c}, vs[1] = {c}, ss4[2] = {4, g},
            ss3[2] = {3, g}, size = 4 * hw * c;
    float* x = malloc((size_t)size * sizeof(float));
    float gamma[64], beta[64];
    test_data(x, size, 7);
    test_data(gamma, c, 8);
    test_data(beta, c, 9);
    d4j_tensor *x4 = make(s4, 3, x), *x3 = make(s3, 3, x), *y4 = make(s4, 3, NULL), *y3 = make(s3, 3, NULL),
               *tg = make(vs, 1, gamma), *tb = make(vs, 1, beta), *m4 = make(ss4, 2, NULL), *r4 = make(ss4, 2, NULL),
               *m3 = make(ss3, 2, NULL), *r3 = make(ss3, 2, NULL);
    CHECK_OK(d4j_groupnorm_forward(ctx, y4, m4, r4, x4, tg, tb, (int32_t)g, 1e-5f, 1));
    CHECK_OK(d4j_groupnorm_forward(ctx, y3, m3, r3, x3, tg, tb, (int32_t)g, 1e-5f, 1));
    float *a = get(y4, size), *b = get(y3, 3 * hw * c), *ma = get(m4, 4 * g), *mb = get(m3, 3 * g), *ra = get(r4, 4 * g),
          *rb = get(r3, 3 * g);
    CHECK(memcmp(a, b, (size_t)(3 * hw * c) * sizeof(float)) == 0, "groupnorm y of a batch of 3 differs from a batch of 4");
    CHECK(memcmp(ma, mb, (size_t)(3 * g) * sizeof(float)) == 0 && memcmp(ra, rb, (size_t)(3 * g) * sizeof(float)) == 0,
          "groupnorm statistics of a batch of 3 differ from a batch of 4");
    d4j_tensor* all[] = {x4, x3, y4, y3, tg, tb, m4, r4, m3, r3};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) d4j_tensor_free(all[i]);
    free(x), free(a), free(b), free(ma), free(mb), free(ra), free(rb);
}

static void groupnorm_case(int64_t n, int64_t hw, int64_t c, int64_t g, int silu) {
    groupnorm_case_at(n, hw, c, g, silu, 3.0f);
}

/* SiLU both ways, add (also in place), MSE: elementwise, on a size with a vector tail and one past the fork threshold. */
static void elementwise_case(int64_t n) {
    int64_t shape[1] = {n}, one[1] = {1};
    float* x = malloc((size_t)n * sizeof(float));
    float* dy = malloc((size_t)n * sizeof(float));
    double* ref = malloc((size_t)n * sizeof(double));
    test_data(x, n, 7);
    for (int64_t i = 0; i < n; i++) x[i] *= 12.0f; /* both tails of the sigmoid */
    test_data(dy, n, 8);
    d4j_tensor *tx = make(shape, 1, x), *tdy = make(shape, 1, dy), *ty = make(shape, 1, NULL), *tdx = make(shape, 1, NULL),
               *loss = make(one, 1, NULL);

    CHECK_OK(d4j_silu_forward(ctx, ty, tx));
    float* y = get(ty, n);
    for (int64_t i = 0; i < n; i++) ref[i] = x[i] * sigmoid(x[i]);
    double ey = rel_err(y, ref, n);
    CHECK_OK(d4j_silu_backward(ctx, tdx, tdy, tx));
    float* dx = get(tdx, n);
    for (int64_t i = 0; i < n; i++) {
        double s = sigmoid(x[i]);
        ref[i] = dy[i] * s * (1 + x[i] * (1 - s));
    }
    double edx = rel_err(dx, ref, n);
    printf("silu %s n=%lld: y %.2e dx %.2e\n", d4j_cpu_isa(), (long long)n, ey, edx);
    CHECK(ey < 1e-6 && edx < 1e-6, "silu vs float64: %.3g %.3g", ey, edx);

    CHECK_OK(d4j_add(ctx, ty, tx, tdy));
    CHECK_OK(d4j_add(ctx, tdx, tx, tdy));
    CHECK_OK(d4j_add(ctx, tdx, tdx, tx)); /* y aliasing a */
    free(y);
    free(dx);
    y = get(ty, n);
    dx = get(tdx, n);
    int exact = 1;
    for (int64_t i = 0; i < n; i++) exact &= y[i] == x[i] + dy[i] && dx[i] == (x[i] + dy[i]) + x[i];
    CHECK(exact, "add differs from float addition");

    CHECK_OK(d4j_mse_loss(ctx, loss, tdx, tx, tdy, NULL));
    float l;
    CHECK_OK(d4j_tensor_download(ctx, &l, loss, 1));
    free(dx);
    dx = get(tdx, n);
    double sum = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = (double)x[i] - dy[i];
        sum += d * d;
        ref[i] = 2.0 * d / (double)n;
    }
    double el = fabs(l - sum / n) / (sum / n), eg = rel_err(dx, ref, n);
    printf("mse %s n=%lld: loss %.2e dpred %.2e\n", d4j_cpu_isa(), (long long)n, el, eg);
    CHECK(el < 1e-7 && eg < 1e-6, "mse vs float64: %.3g %.3g", el, eg);

    d4j_tensor_free(tx); d4j_tensor_free(tdy); d4j_tensor_free(ty); d4j_tensor_free(tdx); d4j_tensor_free(loss);
    free(x); free(dy); free(ref); free(y); free(dx);
}

/* Upsampling and concatenation only move values (the upsampling gradient adds four, in a fixed order). */
static void resampling_case(int64_t n, int64_t h, int64_t w, int64_t ca, int64_t cb) {
    int64_t xs[4] = {n, h, w, ca}, ys[4] = {n, 2 * h, 2 * w, ca}, bs[4] = {n, h, w, cb}, cs[4] = {n, h, w, ca + cb};
    int64_t nx = n * h * w * ca, ny = 4 * nx, nb = n * h * w * cb;
    float* x = malloc((size_t)ny * sizeof(float));
    float* b = malloc((size_t)nb * sizeof(float));
    test_data(x, ny, 9);
    test_data(b, nb, 10);
    d4j_tensor *tx = make(xs, 4, x), *tup = make(ys, 4, NULL), *tdy = make(ys, 4, x), *tdx = make(xs, 4, NULL),
               *tb = make(bs, 4, b), *tcat = make(cs, 4, NULL), *da = make(xs, 4, NULL), *db = make(bs, 4, NULL);
    CHECK_OK(d4j_upsample_nearest2x_forward(ctx, tup, tx));
    CHECK_OK(d4j_upsample_nearest2x_backward(ctx, tdx, tdy));
    CHECK_OK(d4j_concat_channels_forward(ctx, tcat, tx, tb));
    CHECK_OK(d4j_concat_channels_backward(ctx, da, db, tcat));
    float *up = get(tup, ny), *dx = get(tdx, nx), *cat = get(tcat, nx + nb), *ga = get(da, nx), *gb = get(db, nb);
    int ok_up = 1, ok_dx = 1, ok_cat = 1;
    for (int64_t r = 0; r < n * h; r++)
        for (int64_t q = 0; q < w; q++)
            for (int64_t ch = 0; ch < ca; ch++) {
                const float* d0 = x + (2 * r) * (2 * w) * ca; /* dy = the first ny values of x */
                const float* d1 = d0 + 2 * w * ca;
                float v = x[(r * w + q) * ca + ch];
                for (int i = 0; i < 2; i++)
                    for (int j = 0; j < 2; j++) ok_up &= up[((2 * r + i) * 2 * w + 2 * q + j) * ca + ch] == v;
                float s = (d0[2 * q * ca + ch] + d0[(2 * q + 1) * ca + ch]) + (d1[2 * q * ca + ch] + d1[(2 * q + 1) * ca + ch]);
                ok_dx &= dx[(r * w + q) * ca + ch] == s;
            }
    for (int64_t p = 0; p < n * h * w; p++) {
        ok_cat &= memcmp(cat + p * (ca + cb), x + p * ca, (size_t)ca * sizeof(float)) == 0;
        ok_cat &= memcmp(cat + p * (ca + cb) + ca, b + p * cb, (size_t)cb * sizeof(float)) == 0;
    }
    ok_cat &= memcmp(ga, x, (size_t)nx * sizeof(float)) == 0 && memcmp(gb, b, (size_t)nb * sizeof(float)) == 0;
    CHECK(ok_up && ok_dx, "upsampling %lldx%lldx%lldx%lld: forward %d backward %d", (long long)n, (long long)h,
          (long long)w, (long long)ca, ok_up, ok_dx);
    CHECK(ok_cat, "concatenation %lld + %lld channels", (long long)ca, (long long)cb);
    d4j_tensor* all[] = {tx, tup, tdy, tdx, tb, tcat, da, db};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) d4j_tensor_free(all[i]);
    free(x); free(b); free(up); free(dx); free(cat); free(ga); free(gb);
}

/* The mask is u_i >= p for the uniforms d4j_fill_uniform draws at the same (seed, offset). */
static void dropout_case(int64_t n, float p) {
    int64_t shape[1] = {n};
    float* x = malloc((size_t)n * sizeof(float));
    test_data(x, n, 11);
    d4j_tensor *tx = make(shape, 1, x), *ty = make(shape, 1, NULL), *tdx = make(shape, 1, NULL), *tu = make(shape, 1, NULL);
    uint64_t seed, offset, seed_after, offset_after;
    CHECK_OK(d4j_ctx_set_rng(ctx, 77, 5));
    CHECK_OK(d4j_dropout_forward(ctx, ty, &seed, &offset, tx, p));
    CHECK_OK(d4j_ctx_rng(&seed_after, &offset_after, ctx));
    CHECK(seed == 77 && offset == 5 && offset_after == 5 + (uint64_t)(n + 3) / 4, "dropout used (%llu, %llu), now at %llu",
          (unsigned long long)seed, (unsigned long long)offset, (unsigned long long)offset_after);
    CHECK_OK(d4j_dropout_backward(ctx, tdx, tx, p, seed, offset));
    CHECK_OK(d4j_ctx_set_rng(ctx, 77, 5));
    CHECK_OK(d4j_fill_uniform(ctx, tu, 0.0f, 1.0f));
    float *y = get(ty, n), *dx = get(tdx, n), *u = get(tu, n);
    float scale = 1.0f / (1.0f - p);
    int ok = 1;
    int64_t kept = 0;
    for (int64_t i = 0; i < n; i++) {
        float want = u[i] >= p ? x[i] * scale : 0.0f;
        ok &= y[i] == want && dx[i] == want;
        kept += u[i] >= p;
    }
    double se = sqrt((double)n * p * (1 - p));
    printf("dropout %s n=%lld p=%.2f: kept %lld\n", d4j_cpu_isa(), (long long)n, p, (long long)kept);
    CHECK(ok, "dropout mask differs from the Philox uniforms at the same offset");
    CHECK(fabs((double)kept - n * (1.0 - p)) <= 5 * se + 1e-9, "kept %lld of %lld at p = %g", (long long)kept,
          (long long)n, p);
    d4j_tensor_free(tx); d4j_tensor_free(ty); d4j_tensor_free(tdx); d4j_tensor_free(tu);
    free(x); free(y); free(dx); free(u);
}

static void embedding_case(int64_t batch, int64_t dim) {
    int64_t shape[2] = {batch, dim}, half = dim / 2;
    int32_t t[300];
    for (int64_t i = 0; i < batch; i++) t[i] = (int32_t)((i * 37 + 3) % 1000);
    d4j_tensor* out = make(shape, 2, NULL);
    CHECK_OK(d4j_timestep_embedding(ctx, out, t, batch, 10000.0f));
    float* e = get(out, batch * dim);
    int ok = 1;
    for (int64_t n = 0; n < batch; n++)
        for (int64_t i = 0; i < half; i++) {
            double arg = t[n] * exp(-log(10000.0) * (double)i / (double)half);
            ok &= e[n * dim + i] == (float)cos(arg) && e[n * dim + half + i] == (float)sin(arg);
        }
    CHECK(ok, "timestep embedding (%lld, %lld) is not float64 rounded once", (long long)batch, (long long)dim);
    d4j_tensor_free(out);
    free(e);
}

static void bad_inputs(void) {
    int64_t s4[4] = {2, 4, 4, 6}, s8[4] = {2, 4, 4, 8}, up[4] = {2, 8, 8, 6}, cat[4] = {2, 4, 4, 12}, v6[1] = {6},
            st[2] = {2, 3}, emb[2] = {2, 7}, emb4[2] = {2, 4}, one[1] = {1};
    d4j_tensor *x = make(s4, 4, NULL), *y = make(s4, 4, NULL), *x8 = make(s8, 4, NULL), *g = make(v6, 1, NULL),
               *b = make(v6, 1, NULL), *m = make(st, 2, NULL), *r = make(st, 2, NULL), *tup = make(up, 4, NULL),
               *tcat = make(cat, 4, NULL), *odd = make(emb, 2, NULL), *e4 = make(emb4, 2, NULL), *loss = make(one, 1, NULL),
               *dead = make(s4, 4, NULL);
    CHECK_OK(d4j_tensor_free(dead));
    uint64_t seed, offset;
    int32_t t[2] = {1, 2};

    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "tensor x is NULL", d4j_groupnorm_forward(ctx, y, m, r, NULL, g, b, 3, 1e-5f, 1));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "tensor mean is NULL", d4j_groupnorm_forward(ctx, y, NULL, r, x, g, b, 3, 1e-5f, 1));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "not live", d4j_groupnorm_forward(ctx, y, m, r, dead, g, b, 3, 1e-5f, 1));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "groups is 4", d4j_groupnorm_forward(ctx, y, m, r, x, g, b, 4, 1e-5f, 0));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "groups is -3", d4j_groupnorm_forward(ctx, y, m, r, x, g, b, -3, 1e-5f, 0));
    CHECK_FAILS(D4J_ERR_SHAPE, "y has shape [2, 4, 4, 8]", d4j_groupnorm_forward(ctx, x8, m, r, x, g, b, 3, 1e-5f, 0));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "eps is nan", d4j_groupnorm_forward(ctx, y, m, r, x, g, b, 3, NAN, 0));
    CHECK_FAILS(D4J_ERR_SHAPE, "gamma has shape [2, 3]", d4j_groupnorm_forward(ctx, y, m, r, x, m, b, 3, 1e-5f, 0));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "tensor dgamma is NULL",
                d4j_groupnorm_backward(ctx, y, NULL, b, x, x, m, r, g, b, 3, 1));
    CHECK_FAILS(D4J_ERR_SHAPE, "mean has shape [2, 3] but must be [2, 2]",
                d4j_groupnorm_backward(ctx, y, g, b, x, x, m, r, g, b, 2, 1));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "distinct", d4j_groupnorm_backward(ctx, y, g, g, x, x, m, r, g, b, 3, 1));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "residual is NULL",
                d4j_groupnorm_backward_residual(ctx, y, g, b, x, x, NULL, m, r, g, b, 3, 1));
    CHECK_FAILS(D4J_ERR_SHAPE, "residual has shape [2, 4, 4, 8]",
                d4j_groupnorm_backward_residual(ctx, y, g, b, x, x, x8, m, r, g, b, 3, 1));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "distinct",
                d4j_groupnorm_backward_residual(ctx, y, g, b, x, x, y, m, r, g, b, 3, 1));

    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "tensor y is NULL", d4j_silu_forward(ctx, NULL, x));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "not live", d4j_silu_backward(ctx, y, dead, x));
    CHECK_FAILS(D4J_ERR_SHAPE, "x has shape [2, 4, 4, 6]", d4j_silu_backward(ctx, x8, x8, x));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "tensor b is NULL", d4j_add(ctx, y, x, NULL));
    CHECK_FAILS(D4J_ERR_SHAPE, "b has shape [2, 4, 4, 8]", d4j_add(ctx, y, x, x8));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "not live", d4j_upsample_nearest2x_forward(ctx, dead, x));
    CHECK_FAILS(D4J_ERR_SHAPE, "y has shape [2, 4, 4, 6] but must be [2, 8, 8, 6]",
                d4j_upsample_nearest2x_forward(ctx, y, x));
    CHECK_FAILS(D4J_ERR_SHAPE, "dy has shape [2, 4, 4, 8]", d4j_upsample_nearest2x_backward(ctx, x, x8));
    CHECK_FAILS(D4J_ERR_SHAPE, "do not concatenate", d4j_concat_channels_forward(ctx, tcat, x, x8));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "tensor db is NULL", d4j_concat_channels_backward(ctx, x, NULL, tcat));
    CHECK_OK(d4j_upsample_nearest2x_forward(ctx, tup, x));

    CHECK_FAILS(D4J_ERR_SHAPE, "out has shape [2, 7]", d4j_timestep_embedding(ctx, odd, t, 2, 10000.0f));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "t is NULL", d4j_timestep_embedding(ctx, e4, NULL, 2, 10000.0f));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "tensor out is NULL", d4j_timestep_embedding(ctx, NULL, t, 2, 10000.0f));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "max_period is inf", d4j_timestep_embedding(ctx, e4, t, 2, INFINITY));

    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "p is 1", d4j_dropout_forward(ctx, y, &seed, &offset, x, 1.0f));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "p is -0.5", d4j_dropout_backward(ctx, y, x, -0.5f, 1, 0));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "non-NULL", d4j_dropout_forward(ctx, y, NULL, &offset, x, 0.5f));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "not live", d4j_dropout_forward(ctx, y, &seed, &offset, dead, 0.5f));
    CHECK_FAILS(D4J_ERR_SHAPE, "dx has shape [2, 4, 4, 8]", d4j_dropout_backward(ctx, x8, x, 0.5f, 1, 0));

    CHECK_FAILS(D4J_ERR_SHAPE, "loss has shape [2, 3]", d4j_mse_loss(ctx, m, NULL, x, y, NULL));
    CHECK_FAILS(D4J_ERR_SHAPE, "target has shape [2, 4, 4, 8]", d4j_mse_loss(ctx, loss, NULL, x, x8, NULL));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "tensor pred is NULL", d4j_mse_loss(ctx, loss, NULL, NULL, x, NULL));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "not live", d4j_mse_loss(ctx, loss, dead, x, y, NULL));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "context is NULL", d4j_mse_loss(NULL, loss, NULL, x, y, NULL));

    d4j_tensor* all[] = {x, y, x8, g, b, m, r, tup, tcat, odd, e4, loss};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) d4j_tensor_free(all[i]);
}

int main(void) {
    CHECK_OK(d4j_ctx_create(&ctx, D4J_DEVICE_CPU, 0));
    printf("CPU kernels: %s\n", d4j_cpu_isa());
    groupnorm_case(2, 49, 12, 3, 1);   /* 7x7 maps, 4 channels per group */
    groupnorm_case(1, 196, 40, 8, 0);  /* 14x14: three full 64-pixel chunks and a tail */
    groupnorm_case(3, 45, 6, 1, 1);    /* one group */
    groupnorm_case(4, 256, 64, 32, 1); /* 2 channels per group, past the fork threshold */
    groupnorm_case(2, 100, 13, 13, 0); /* one channel per group */
    /* the forward's two schedules (with 2+ threads): 16 samples split per sample, 3 per chunk */
    groupnorm_case_at(16, 64, 36, 6, 1, 30.0f);
    groupnorm_case_at(3, 1024, 64, 32, 1, 30.0f);
    groupnorm_batch_independent();
    elementwise_case(1001);
    elementwise_case(40003);
    resampling_case(1, 7, 7, 3, 5);
    resampling_case(2, 14, 14, 13, 64);
    dropout_case(7, 0.5f);
    dropout_case(40001, 0.1f);
    embedding_case(1, 2);
    embedding_case(300, 128);
    bad_inputs();
    CHECK_OK(d4j_ctx_free(ctx));
    return finish("test_norm_ops");
}
