/*
 * test_sampler_step.c — the fused reverse step (d4j_sampler_step) against a
 * float64 loop for ε-, x_0- and v-prediction coefficient sets, each with and
 * without guidance and clipping, DDPM-like (coef_xt, no coef_eps) and DDIM-like
 * (coef_eps, no coef_xt); Improved DDPM's learned variance (var_out) on linear-
 * schedule steps, likewise; z is the keyed noise of d4j_keyed_noise bit for bit;
 * rows do not depend on the batch; (0, 1) returns ε̂ = o exactly; σ = 0 draws no
 * noise and reads neither ids nor var_out; bad inputs are named. Outputs
 * poisoned with NaN.
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

/* The step in float64 from the float coefficients, the keyed z and the element's σ. */
static double ref_step(double x, double e, double u, double z, double sigma, const d4j_step_coefficients* c,
                       int guided) {
    double w = c->guidance;
    double o = guided ? (w + 1) * e - w * u : e;
    double x0 = (double)c->x0_from_xt * x + (double)c->x0_from_out * o;
    double eps = (double)c->eps_from_xt * x + (double)c->eps_from_out * o;
    if (c->clip_x0) {
        x0 = fmin(1.0, fmax(-1.0, x0));
        eps = (x - (double)c->sqrt_alpha_bar * x0) * (double)c->recip_sqrt_one_minus_alpha_bar;
    }
    return (double)c->coef_x0 * x0 + (double)c->coef_xt * x + (double)c->coef_eps * eps + sigma * z;
}

/* σ_i of Improved DDPM's learned range in float64: σ·exp(½ (f log_var_max + (1 − f) log_var_min)), f = (r + 1)/2 */
static double ref_learned_sigma(double r, const d4j_step_coefficients* c) {
    double f = (r + 1) / 2;
    return (double)c->sigma * exp(0.5 * (f * c->log_var_max + (1 - f) * c->log_var_min));
}

/* ᾱ_t of the linear DDPM schedule (T = 1000, β from 1e-4 to 0.02), t = 0 .. 1000 (ᾱ_0 = 1), in float64 */
static double linear_alpha_bar(int t) {
    double ab = 1;
    for (int s = 1; s <= t; s++) ab *= 1 - (1e-4 + (0.02 - 1e-4) * (s - 1) / 999.0);
    return ab;
}

/* The DDPM step t -> t_prev of the linear schedule (t_prev < t − 1: a respaced step, β_t = 1 − ᾱ_t/ᾱ_prev as
 * improved-diffusion recomputes it) with learned variance: σ = 1 (a scale), log_var_max = log β_t,
 * log_var_min = log β̃_t. */
static d4j_step_coefficients learned_coefficients(int param, int t, int t_prev, double w, int clip) {
    double ab = linear_alpha_bar(t), ab_prev = linear_alpha_bar(t_prev);
    double beta = 1 - ab / ab_prev, beta_tilde = beta * (1 - ab_prev) / (1 - ab);
    d4j_step_coefficients c = coefficients(param, ab, ab_prev, 0, w, clip);
    c.sigma = 1;
    c.log_var_max = (float)log(beta);
    c.log_var_min = (float)log(beta_tilde);
    return c;
}

/* The step with c against ref_step, and its noise term σ_i z alone (coef_* = 0) element by element;
 * learned: with var_out r spread over [−1.5, 1.5], so f = (r + 1)/2 leaves [0, 1] (not clamped). */
static void matches_reference(d4j_ctx* ctx, const int64_t* shape, int nd, const d4j_step_coefficients* c, int guided,
                              int learned, const char* what) {
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= shape[i];
    int64_t batch = shape[0], per = n / batch;
    float *x = malloc((size_t)n * 4), *e = malloc((size_t)n * 4), *u = malloc((size_t)n * 4);
    float* r = malloc((size_t)n * 4);
    test_data(x, n, 1);
    test_data(e, n, 2);
    test_data(u, n, 3);
    test_data(r, n, 4);
    int64_t outside = 0; /* r outside [−1, 1]: f outside [0, 1] */
    for (int64_t i = 0; i < n; i++) { /* x_t ~ [-1.5, 1.5], outputs large enough that clipping bites */
        x[i] *= 1.5f;
        e[i] *= 1.8f;
        r[i] *= 1.5f;
        outside += fabsf(r[i]) > 1;
    }
    int64_t* ids = malloc((size_t)batch * sizeof(int64_t));
    for (int64_t s = 0; s < batch; s++) ids[s] = 50 + 3 * s;
    d4j_tensor *tx = tensor_of(ctx, shape, nd, x), *te = tensor_of(ctx, shape, nd, e);
    d4j_tensor *tu = tensor_of(ctx, shape, nd, u), *tr = tensor_of(ctx, shape, nd, r);
    d4j_tensor *tp = tensor_of(ctx, shape, nd, NULL), *tz = tensor_of(ctx, shape, nd, NULL);
    const d4j_tensor *ou = guided ? tu : NULL, *vo = learned ? tr : NULL;
    uint64_t seed0, off0, seed1, off1;
    CHECK_OK(d4j_ctx_rng(&seed0, &off0, ctx));
    CHECK_OK(d4j_sampler_step(ctx, tp, tx, te, ou, vo, c, 1234, 9, ids));
    CHECK_OK(d4j_ctx_rng(&seed1, &off1, ctx));
    CHECK(seed0 == seed1 && off0 == off1, "the step moved the context's Philox stream");
    CHECK_OK(d4j_keyed_noise(ctx, tz, NULL, 0.0f, 1.0f, 1234, 9, ids));
    float *got = download(ctx, tp, n), *z = download(ctx, tz, n);
    d4j_step_coefficients noise_only = *c;
    noise_only.coef_x0 = noise_only.coef_xt = noise_only.coef_eps = 0;
    CHECK_OK(d4j_tensor_fill(ctx, tp, NAN));
    CHECK_OK(d4j_sampler_step(ctx, tp, tx, te, ou, vo, &noise_only, 1234, 9, ids));
    float* got_noise = download(ctx, tp, n);
    double* ref = malloc((size_t)n * sizeof(double));
    double noise_err = 0, lo = INFINITY, hi = 0;
    int64_t clipped = 0;
    for (int64_t i = 0; i < n; i++) {
        double sigma = learned ? ref_learned_sigma(r[i], c) : c->sigma;
        ref[i] = ref_step(x[i], e[i], u[i], z[i], sigma, c, guided);
        double ez = fabs(got_noise[i] - sigma * z[i]) / fabs(sigma * z[i]);
        noise_err = ez == ez ? fmax(noise_err, ez) : INFINITY;
        lo = fmin(lo, sigma);
        hi = fmax(hi, sigma);
        double w = c->guidance, o = guided ? (w + 1) * e[i] - w * u[i] : e[i];
        clipped += fabs(c->x0_from_xt * x[i] + c->x0_from_out * o) > 1;
    }
    double rel = rel_err(got, ref, n);
    CHECK(rel < 2e-7, "%s %lld x %lld: relative error %.3g vs float64", what, (long long)batch, (long long)per, rel);
    /* σ_i's own rounding: ½ log Σ (|·| up to 5 here) to float rounding, d4j_expf's 4 ulp, two products */
    CHECK(noise_err < 1.5e-6, "%s %lld x %lld: sigma_i z off by %.3g (relative, worst element)", what,
          (long long)batch, (long long)per, noise_err);
    if (c->clip_x0)
        CHECK(clipped > n / 10, "the test clips only %lld of %lld elements", (long long)clipped, (long long)n);
    if (learned) CHECK(outside > n / 4, "only %lld of %lld r values outside [-1, 1]", (long long)outside, (long long)n);
    printf("step %s %lld x %lld: rel err %.3g, sigma_i z worst %.3g (sigma_i in [%.4g, %.4g]; x0 clipped in %lld)\n",
           what, (long long)batch, (long long)per, rel, noise_err, lo, hi, (long long)clipped);
    free(got); free(got_noise); free(z); free(ref); free(x); free(e); free(u); free(r); free(ids);
    d4j_tensor_free(tx); d4j_tensor_free(te); d4j_tensor_free(tu); d4j_tensor_free(tr);
    d4j_tensor_free(tp); d4j_tensor_free(tz);
}

/* Scalar σ: ᾱ 0.36 -> 0.64, DDPM's or DDIM's coefficients, without var_out. */
static void scalar_matches_reference(d4j_ctx* ctx, const int64_t* shape, int nd, int param, int ddim, int guided,
                                     int clip) {
    d4j_step_coefficients c = coefficients(param, 0.36, 0.64, ddim, guided ? 2.5 : 0.0, clip);
    char what[64];
    snprintf(what, sizeof what, "%-3s %s guided %d clip %d", PARAM[param], ddim ? "ddim" : "ddpm", guided, clip);
    matches_reference(ctx, shape, nd, &c, guided, 0, what);
}

/* Learned variance on the linear schedule's step t -> t_prev. */
static void learned_matches_reference(d4j_ctx* ctx, const int64_t* shape, int nd, int param, int t, int t_prev,
                                      int guided, int clip) {
    d4j_step_coefficients c = learned_coefficients(param, t, t_prev, guided ? 2.5 : 0.0, clip);
    char what[80];
    snprintf(what, sizeof what, "%-3s learned t=%d->%d guided %d clip %d", PARAM[param], t, t_prev, guided, clip);
    matches_reference(ctx, shape, nd, &c, guided, 1, what);
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

/* σ = 0 (the last step) with var_out: no noise, ids may be NULL and var_out is not read (NaN there does not
 * show); the result is the step without var_out bit for bit, and the context's stream does not move. */
static void learned_without_noise(d4j_ctx* ctx) {
    int64_t shape[3] = {4, 9, 3};
    int64_t n = 4 * 9 * 3;
    float *x = malloc((size_t)n * 4), *e = malloc((size_t)n * 4), *u = malloc((size_t)n * 4);
    test_data(x, n, 31);
    test_data(e, n, 32);
    test_data(u, n, 33);
    d4j_step_coefficients c = learned_coefficients(EPS, 2, 1, 1.5, 1); /* finite log β, log β̃ */
    c.sigma = 0;
    d4j_tensor *tx = tensor_of(ctx, shape, 3, x), *te = tensor_of(ctx, shape, 3, e), *tu = tensor_of(ctx, shape, 3, u);
    d4j_tensor *tr = tensor_of(ctx, shape, 3, NULL), *tp = tensor_of(ctx, shape, 3, NULL);
    d4j_tensor* tq = tensor_of(ctx, shape, 3, NULL);
    uint64_t seed0, off0, seed1, off1;
    CHECK_OK(d4j_ctx_rng(&seed0, &off0, ctx));
    CHECK_OK(d4j_sampler_step(ctx, tp, tx, te, tu, tr, &c, 5, 1, NULL)); /* tr holds NaN */
    CHECK_OK(d4j_ctx_rng(&seed1, &off1, ctx));
    CHECK(seed0 == seed1 && off0 == off1, "the step moved the context's Philox stream");
    CHECK_OK(d4j_sampler_step(ctx, tq, tx, te, tu, NULL, &c, 5, 1, NULL));
    float *got = download(ctx, tp, n), *plain = download(ctx, tq, n);
    CHECK(memcmp(got, plain, (size_t)n * 4) == 0, "sigma = 0 with var_out differs from the step without it");
    double* ref = malloc((size_t)n * sizeof(double));
    for (int64_t i = 0; i < n; i++) ref[i] = ref_step(x[i], e[i], u[i], 0.0, 0.0, &c, 1);
    double rel = rel_err(got, ref, n);
    CHECK(rel < 2e-7, "sigma = 0 with var_out: relative error %.3g vs float64", rel);
    printf("learned sigma = 0: no noise, no ids, var_out unread; rel err %.3g\n", rel);
    free(got); free(plain); free(ref); free(x); free(e); free(u);
    d4j_tensor_free(tx); d4j_tensor_free(te); d4j_tensor_free(tu); d4j_tensor_free(tr);
    d4j_tensor_free(tp); d4j_tensor_free(tq);
}

static void bad_inputs(d4j_ctx* ctx) {
    int64_t shape[2] = {3, 5}, other[2] = {3, 6};
    int64_t ids[3] = {1, 2, 3};
    d4j_tensor *x = tensor_of(ctx, shape, 2, NULL), *o = tensor_of(ctx, shape, 2, NULL);
    d4j_tensor *p = tensor_of(ctx, shape, 2, NULL), *wrong = tensor_of(ctx, other, 2, NULL);
    d4j_tensor* r = tensor_of(ctx, shape, 2, NULL);
    d4j_step_coefficients c = coefficients(EPS, 0.36, 0.64, 0, 0, 0);
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "d4j_sampler_step: ids is NULL; it must hold one id per sample of x_t (3)",
                d4j_sampler_step(ctx, p, x, o, NULL, NULL, &c, 1, 0, NULL));
    CHECK_FAILS(D4J_ERR_SHAPE, "out has shape [3, 6] but x_t has shape [3, 5]",
                d4j_sampler_step(ctx, p, x, wrong, NULL, NULL, &c, 1, 0, ids));
    CHECK_FAILS(D4J_ERR_SHAPE, "out_uncond has shape [3, 6]",
                d4j_sampler_step(ctx, p, x, o, wrong, NULL, &c, 1, 0, ids));
    CHECK_FAILS(D4J_ERR_SHAPE, "var_out has shape [3, 6] but x_t has shape [3, 5]",
                d4j_sampler_step(ctx, p, x, o, NULL, wrong, &c, 1, 0, ids));
    CHECK_FAILS(D4J_ERR_SHAPE, "x_prev has shape [3, 6]", d4j_sampler_step(ctx, wrong, x, o, NULL, NULL, &c, 1, 0, ids));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "x_prev must not alias out",
                d4j_sampler_step(ctx, o, x, o, NULL, NULL, &c, 1, 0, ids));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "x_prev must not alias out_uncond",
                d4j_sampler_step(ctx, p, x, o, p, NULL, &c, 1, 0, ids));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "x_prev must not alias var_out",
                d4j_sampler_step(ctx, r, x, o, NULL, r, &c, 1, 0, ids));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "coefficients are NULL",
                d4j_sampler_step(ctx, p, x, o, NULL, NULL, NULL, 1, 0, ids));
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
    bad.log_var_max = NAN;
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "log_var_max is nan", d4j_sampler_step(ctx, p, x, o, NULL, r, &bad, 1, 0, ids));
    bad = c;
    bad.log_var_min = -INFINITY; /* checked without var_out too */
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "log_var_min is -inf",
                d4j_sampler_step(ctx, p, x, o, NULL, NULL, &bad, 1, 0, ids));
    bad = c;
    bad.sigma = -0.5f;
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "sigma is -0.5", d4j_sampler_step(ctx, p, x, o, NULL, NULL, &bad, 1, 0, ids));
    bad = c;
    bad.clip_x0 = 2;
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "clip_x0 is 2", d4j_sampler_step(ctx, p, x, o, NULL, NULL, &bad, 1, 0, ids));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "tensor x_t is NULL",
                d4j_sampler_step(ctx, p, NULL, o, NULL, NULL, &c, 1, 0, ids));
    d4j_tensor_free(x); d4j_tensor_free(o); d4j_tensor_free(p); d4j_tensor_free(wrong); d4j_tensor_free(r);
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
                    scalar_matches_reference(ctx, small, 4, param, ddim, guided, clip);
                    scalar_matches_reference(ctx, odd, 3, param, ddim, guided, clip);
                }
    scalar_matches_reference(ctx, big, 4, V, 1, 1, 1); /* the parallel path */
    scalar_matches_reference(ctx, big, 4, EPS, 0, 0, 0);
    for (int guided = 0; guided < 2; guided++)
        for (int clip = 0; clip < 2; clip++)
            for (int k = 0; k < 3; k++) { /* 600 -> 599 (x̂_0 often clipped), 2 -> 1 (β̃ about β/2), 100 -> 80 */
                static const int steps[3][2] = {{600, 599}, {2, 1}, {100, 80}};
                learned_matches_reference(ctx, small, 4, EPS, steps[k][0], steps[k][1], guided, clip);
                learned_matches_reference(ctx, odd, 3, V, steps[k][0], steps[k][1], guided, clip);
            }
    learned_matches_reference(ctx, big, 4, EPS, 600, 599, 1, 1); /* the parallel path */
    learned_matches_reference(ctx, big, 4, X0, 300, 280, 0, 0);
    learned_without_noise(ctx);
    noise_and_identities(ctx);
    bad_inputs(ctx);
    CHECK_OK(d4j_ctx_free(ctx));
    return finish("test_sampler_step");
}
