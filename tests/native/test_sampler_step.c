/*
 * test_sampler_step.c — the fused reverse step (d4j_sampler_step) against a
 * float64 loop for ε-, x_0- and v-prediction coefficient sets, each with and
 * without guidance and clipping, DDPM-like (coef_xt, no coef_eps) and DDIM-like
 * (coef_eps, no coef_xt); z is the keyed noise of d4j_keyed_noise bit for bit;
 * rows do not depend on the batch; (0, 1) returns ε̂ = o exactly; bad inputs
 * are named. Outputs poisoned with NaN.
 */
#include <string.h>

#include "check.h"

enum { EPS, X0, V };
static const char* PARAM[3] = {"eps", "x0", "v"};

/* Coefficients for one step from ᾱ_t to ᾱ_prev; ddim: DDIM's coefficients with σ = eta·(...), else DDPM's
 * posterior mean with σ² = β̃. All in float64, rounded once. */
static d4j_step_coefficients coefficients(int param, double ab, double ab_prev, int ddim, double w, int clip) {
    double a = sqrt(ab), s = sqrt(1 - ab);
    d4j_step_coefficients c;
    memset(&c, 0, sizeof c);
    double m[4]; /* x0_from_xt, x0_from_out, eps_from_xt, eps_from_out */
    if (param == EPS) { m[0] = 1 / a; m[1] = -s / a; m[2] = 0; m[3] = 1; }
    else if (param == X0) { m[0] = 0; m[1] = 1; m[2] = 1 / s; m[3] = -a / s; }
    else { m[0] = a; m[1] = -s; m[2] = s; m[3] = a; }
    c.x0_from_xt = (float)m[0];
    c.x0_from_out = (float)m[1];
    c.eps_from_xt = (float)m[2];
    c.eps_from_out = (float)m[3];
    c.sqrt_alpha_bar = (float)a;
    c.recip_sqrt_one_minus_alpha_bar = (float)(1 / s);
    double alpha = ab / ab_prev, beta = 1 - alpha;
    if (ddim) {
        double sigma = 0.5 * sqrt((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev));
        c.coef_x0 = (float)sqrt(ab_prev);
        c.coef_eps = (float)sqrt(1 - ab_prev - sigma * sigma);
        c.sigma = (float)sigma;
    } else {
        c.coef_x0 = (float)(sqrt(ab_prev) * beta / (1 - ab));
        c.coef_xt = (float)(sqrt(alpha) * (1 - ab_prev) / (1 - ab));
        c.sigma = (float)sqrt(beta * (1 - ab_prev) / (1 - ab));
    }
    c.guidance = (float)w;
    c.clip_x0 = clip;
    return c;
}

/* The step in float64 from the float coefficients and the keyed z. */
static double ref_step(double x, double e, double u, double z, const d4j_step_coefficients* c, int guided) {
    double w = c->guidance;
    double o = guided ? (w + 1) * e - w * u : e;
    double x0 = (double)c->x0_from_xt * x + (double)c->x0_from_out * o;
    double eps = (double)c->eps_from_xt * x + (double)c->eps_from_out * o;
    if (c->clip_x0) {
        x0 = fmin(1.0, fmax(-1.0, x0));
        eps = (x - (double)c->sqrt_alpha_bar * x0) * (double)c->recip_sqrt_one_minus_alpha_bar;
    }
    return (double)c->coef_x0 * x0 + (double)c->coef_xt * x + (double)c->coef_eps * eps + (double)c->sigma * z;
}

static void matches_reference(d4j_ctx* ctx, const int64_t* shape, int nd, int param, int ddim, int guided, int clip) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    int64_t batch = shape[0], per = n / batch;
    float *x = malloc((size_t)n * 4), *e = malloc((size_t)n * 4), *u = malloc((size_t)n * 4);
    test_data(x, n, 1);
    test_data(e, n, 2);
    test_data(u, n, 3);
    for (int64_t i = 0; i < n; i++) { /* x_t ~ [-1.5, 1.5], outputs large enough that clipping bites */
        x[i] *= 1.5f;
        e[i] *= 1.8f;
    }
    int64_t* ids = malloc((size_t)batch * sizeof(int64_t));
    for (int64_t s = 0; s < batch; s++) ids[s] = 50 + 3 * s;
    d4j_step_coefficients c = coefficients(param, 0.36, 0.64, ddim, guided ? 2.5 : 0.0, clip);
    d4j_tensor *tx = tensor_of(ctx, shape, nd, x), *te = tensor_of(ctx, shape, nd, e);
    d4j_tensor *tu = tensor_of(ctx, shape, nd, u), *tp = tensor_of(ctx, shape, nd, NULL);
    d4j_tensor* tz = tensor_of(ctx, shape, nd, NULL);
    uint64_t seed0, off0, seed1, off1;
    CHECK_OK(d4j_ctx_rng(&seed0, &off0, ctx));
    CHECK_OK(d4j_sampler_step(ctx, tp, tx, te, guided ? tu : NULL, NULL, &c, 1234, 9, ids));
    CHECK_OK(d4j_ctx_rng(&seed1, &off1, ctx));
    CHECK(seed0 == seed1 && off0 == off1, "the step moved the context's Philox stream");
    CHECK_OK(d4j_keyed_noise(ctx, tz, NULL, 0.0f, 1.0f, 1234, 9, ids));
    float *got = download(ctx, tp, n), *z = download(ctx, tz, n);
    double num = 0, den = 0;
    int64_t clipped = 0;
    for (int64_t i = 0; i < n; i++) {
        double ref = ref_step(x[i], e[i], u[i], z[i], &c, guided);
        double d = got[i] - ref;
        num += d * d;
        den += ref * ref;
        if (!(d == d)) num = INFINITY;
        double w = c.guidance, o = guided ? (w + 1) * e[i] - w * u[i] : e[i];
        clipped += fabs(c.x0_from_xt * x[i] + c.x0_from_out * o) > 1;
    }
    double rel = sqrt(num / den);
    CHECK(rel < 2e-7, "%s %s guided %d clip %d %lld x %lld: relative error %.3g vs float64", PARAM[param],
          ddim ? "ddim" : "ddpm", guided, clip, (long long)batch, (long long)per, rel);
    if (clip) CHECK(clipped > n / 10, "the test clips only %lld of %lld elements", (long long)clipped, (long long)n);
    printf("step %-3s %s guided %d clip %d %lld x %lld: rel err %.3g (x0 clipped in %lld)\n", PARAM[param],
           ddim ? "ddim" : "ddpm", guided, clip, (long long)batch, (long long)per, rel, (long long)clipped);
    free(got); free(z); free(x); free(e); free(u); free(ids);
    d4j_tensor_free(tx); d4j_tensor_free(te); d4j_tensor_free(tu); d4j_tensor_free(tp); d4j_tensor_free(tz);
}

/* z of the step equals d4j_keyed_noise's bits: with every coefficient 0 but σ = 1 the step returns z;
 * with (eps_from_xt, eps_from_out) = (0, 1) and coef_eps = 1 it returns o exactly. Rows are batch-free. */
static void noise_and_identities(d4j_ctx* ctx) {
    int64_t shape[2] = {8, 301}, one[2] = {1, 301};
    int64_t n = 8 * 301;
    float *x = malloc((size_t)n * 4), *e = malloc((size_t)n * 4);
    test_data(x, n, 7);
    test_data(e, n, 8);
    int64_t ids[8] = {11, 12, 13, 14, 15, 16, 17, 18};
    d4j_tensor *tx = tensor_of(ctx, shape, 2, x), *te = tensor_of(ctx, shape, 2, e);
    d4j_tensor *tp = tensor_of(ctx, shape, 2, NULL), *tz = tensor_of(ctx, shape, 2, NULL);
    d4j_step_coefficients c;
    memset(&c, 0, sizeof c);
    c.sigma = 1;
    c.x0_from_xt = 0.5f; /* finite x̂_0 and ε̂, multiplied by 0 */
    CHECK_OK(d4j_sampler_step(ctx, tp, tx, te, NULL, NULL, &c, 77, 1, ids));
    CHECK_OK(d4j_keyed_noise(ctx, tz, NULL, 0.0f, 1.0f, 77, 1, ids));
    float *got = download(ctx, tp, n), *z = download(ctx, tz, n);
    CHECK(memcmp(got, z, (size_t)n * 4) == 0, "the step's z differs from d4j_keyed_noise");
    /* the same sample alone in a batch of one, at id 16 (position 5 above) */
    d4j_tensor *tx1 = tensor_of(ctx, one, 2, x + 5 * 301), *te1 = tensor_of(ctx, one, 2, e + 5 * 301);
    d4j_tensor* tp1 = tensor_of(ctx, one, 2, NULL);
    CHECK_OK(d4j_sampler_step(ctx, tp1, tx1, te1, NULL, NULL, &c, 77, 1, ids + 5));
    float* got1 = download(ctx, tp1, 301);
    CHECK(memcmp(got1, got + 5 * 301, 301 * 4) == 0, "a sample's noise changed with its batch");
    /* ε̂ = o exactly: coef_eps = 1, everything else 0 */
    memset(&c, 0, sizeof c);
    c.eps_from_out = 1;
    c.coef_eps = 1;
    c.x0_from_xt = 1.0f / 0.6f;
    c.x0_from_out = -0.8f / 0.6f;
    CHECK_OK(d4j_sampler_step(ctx, tp, tx, te, NULL, NULL, &c, 0, 0, NULL)); /* σ = 0: ids may be NULL */
    free(got);
    got = download(ctx, tp, n);
    CHECK(memcmp(got, e, (size_t)n * 4) == 0, "(eps_from_xt, eps_from_out) = (0, 1) must return o bit for bit");
    /* x_prev may be x_t */
    c.coef_eps = 0.5f;
    c.coef_xt = 2.0f;
    CHECK_OK(d4j_sampler_step(ctx, tx, tx, te, NULL, NULL, &c, 0, 0, NULL));
    free(got);
    got = download(ctx, tx, n);
    int exact = 1;
    for (int64_t i = 0; i < n; i++) exact &= got[i] == fmaf(0.5f, e[i], fmaf(0.0f, 0.0f, 2.0f * x[i]));
    CHECK(exact, "in place (x_prev = x_t) differs");
    free(got); free(z); free(got1); free(x); free(e);
    d4j_tensor_free(tx); d4j_tensor_free(te); d4j_tensor_free(tp); d4j_tensor_free(tz);
    d4j_tensor_free(tx1); d4j_tensor_free(te1); d4j_tensor_free(tp1);
}

static void bad_inputs(d4j_ctx* ctx) {
    int64_t shape[2] = {3, 5}, other[2] = {3, 6};
    int64_t ids[3] = {1, 2, 3};
    d4j_tensor *x = tensor_of(ctx, shape, 2, NULL), *o = tensor_of(ctx, shape, 2, NULL);
    d4j_tensor *p = tensor_of(ctx, shape, 2, NULL), *wrong = tensor_of(ctx, other, 2, NULL);
    d4j_step_coefficients c = coefficients(EPS, 0.36, 0.64, 0, 0, 0);
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "d4j_sampler_step: ids is NULL; it must hold one id per sample of x_t (3)",
                d4j_sampler_step(ctx, p, x, o, NULL, NULL, &c, 1, 0, NULL));
    CHECK_FAILS(D4J_ERR_SHAPE, "out has shape [3, 6] but x_t has shape [3, 5]",
                d4j_sampler_step(ctx, p, x, wrong, NULL, NULL, &c, 1, 0, ids));
    CHECK_FAILS(D4J_ERR_SHAPE, "out_uncond has shape [3, 6]", d4j_sampler_step(ctx, p, x, o, wrong, NULL, &c, 1, 0, ids));
    CHECK_FAILS(D4J_ERR_SHAPE, "x_prev has shape [3, 6]", d4j_sampler_step(ctx, wrong, x, o, NULL, NULL, &c, 1, 0, ids));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "x_prev must not alias out", d4j_sampler_step(ctx, o, x, o, NULL, NULL, &c, 1, 0, ids));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "coefficients are NULL", d4j_sampler_step(ctx, p, x, o, NULL, NULL, NULL, 1, 0, ids));
    d4j_step_coefficients bad = c;
    bad.x0_from_out = NAN;
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "x0_from_out is nan", d4j_sampler_step(ctx, p, x, o, NULL, NULL, &bad, 1, 0, ids));
    bad = c;
    bad.eps_from_xt = INFINITY;
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "eps_from_xt is inf", d4j_sampler_step(ctx, p, x, o, NULL, NULL, &bad, 1, 0, ids));
    bad = c;
    bad.guidance = -INFINITY;
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "guidance is -inf", d4j_sampler_step(ctx, p, x, o, NULL, NULL, &bad, 1, 0, ids));
    bad = c;
    bad.sigma = -0.5f;
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "sigma is -0.5", d4j_sampler_step(ctx, p, x, o, NULL, NULL, &bad, 1, 0, ids));
    bad = c;
    bad.clip_x0 = 2;
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "clip_x0 is 2", d4j_sampler_step(ctx, p, x, o, NULL, NULL, &bad, 1, 0, ids));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "tensor x_t is NULL", d4j_sampler_step(ctx, p, NULL, o, NULL, NULL, &c, 1, 0, ids));
    d4j_tensor_free(x); d4j_tensor_free(o); d4j_tensor_free(p); d4j_tensor_free(wrong);
}

int main(void) {
    d4j_ctx* ctx;
    CHECK_OK(d4j_ctx_create(&ctx, D4J_DEVICE_CPU, 0));
    CHECK_OK(d4j_ctx_set_rng(ctx, 3, 40));
    int64_t small[4] = {3, 5, 7, 2}, odd[3] = {5, 3, 1}, big[4] = {64, 28, 28, 1};
    for (int param = 0; param < 3; param++)
        for (int ddim = 0; ddim < 2; ddim++)
            for (int guided = 0; guided < 2; guided++)
                for (int clip = 0; clip < 2; clip++) {
                    matches_reference(ctx, small, 4, param, ddim, guided, clip);
                    matches_reference(ctx, odd, 3, param, ddim, guided, clip);
                }
    matches_reference(ctx, big, 4, V, 1, 1, 1); /* the parallel path */
    matches_reference(ctx, big, 4, EPS, 0, 0, 0);
    noise_and_identities(ctx);
    bad_inputs(ctx);
    CHECK_OK(d4j_ctx_free(ctx));
    return finish("test_sampler_step");
}
