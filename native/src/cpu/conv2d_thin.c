/*
 * conv2d_thin.c — direct stride-1 convolution for layers with at most
 * D4J_CONV_THIN_MAX channels on one side (an image-space U-Net's first and last
 * convolutions), vectorized over the wide side:
 *   "dot" form, few outputs:  out[p, j]  = Σ_tap Σ_c in[pixel(p, tap), c] · w[tap, c, j]
 *     (8 input channels per vector, four independent accumulators, one horizontal sum)
 *   "axpy" form, few inputs:  out[p, b…] = Σ_tap Σ_j in[pixel(p, tap), j] · w[tap, j, b…]
 *     (8 output channels per vector, 32 per pass)
 * Backward data is the forward run on dy with the kernel flipped and its channel
 * axes swapped (a full correlation, pad K-1-pad). Backward weights accumulates
 * outer products x ⊗ dy into a per-thread partial gradient laid out so the wide
 * side is contiguous (small enough to stay in L1), over a fixed split of the
 * pixels, and adds the partials in thread order (reproducible for a thread count).
 */
#include <stdlib.h>
#include <string.h>

#include "../core/conv2d_thin.h"
#include "gemm_tile.h"
#include "thread_split.h"

#define LD(p) ((d4j_v8)(*(const d4j_v8u*)(p)))
#define ST(p, v) (*(d4j_v8u*)(p) = (v))
/* (v0 + v4) + (v1 + v5) + … : one fixed order */
#define HSUM(v)                                                                           \
    ({                                                                                    \
        float h_[8];                                                                      \
        memcpy(h_, &(v), sizeof h_);                                                      \
        ((h_[0] + h_[4]) + (h_[1] + h_[5])) + ((h_[2] + h_[6]) + (h_[3] + h_[7]));       \
    })

/* One stride-1 convolution: in (n, ih, iw, ca) → out (n, oh, ow, cb), k×k, pad. */
typedef struct { int64_t n, ih, iw, ca, oh, ow, cb; int k, pad; } geom;

static float* alloc_floats(size_t n) {
    void* p = NULL;
    if (posix_memalign(&p, 64, (n ? n : 1) * sizeof(float)) != 0) return NULL;
    return p;
}

static int parallel(int64_t work) { return work >= 4 * D4J_CPU_PARALLEL_MIN; }

#define MAX_TAPS 49 /* kernels up to 7×7 */

/* The in-bounds taps of output pixel p: rows[i] is the input pixel that tap tap[i] reads. Returns their count. */
static int pixel_taps(const geom* g, const float* in, int64_t p, const float** rows, int* tap) {
    int64_t n = p / (g->oh * g->ow), r = p % (g->oh * g->ow), y0 = r / g->ow - g->pad, x0 = r % g->ow - g->pad;
    int count = 0;
    for (int kh = 0; kh < g->k; kh++) {
        if (y0 + kh < 0 || y0 + kh >= g->ih) continue;
        for (int kw = 0; kw < g->k; kw++) {
            if (x0 + kw < 0 || x0 + kw >= g->iw) continue;
            rows[count] = in + ((n * g->ih + y0 + kh) * g->iw + x0 + kw) * g->ca;
            tap[count++] = kh * g->k + kw;
        }
    }
    return count;
}

/* out[p, j] = bias[j] + Σ over in-bounds taps of in[pixel, :] · wd[j, tap, :] */
static void forward_dot(float* out, const float* in, const float* wd, const float* bias, const geom* g) {
    const int taps = g->k * g->k;
    const int64_t ca = g->ca, cb = g->cb, pixels = g->n * g->oh * g->ow;
#pragma omp parallel for schedule(static) if (parallel(pixels * taps * ca * cb))
    for (int64_t p = 0; p < pixels; p++) {
        const float* rows[MAX_TAPS];
        int tap[MAX_TAPS];
        const int count = pixel_taps(g, in, p, rows, tap);
        for (int64_t j = 0; j < cb; j++) {
            d4j_v8 a0 = d4j_v8_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
            float t = 0.0f;
            for (int i = 0; i < count; i++) {
                const float* xi = rows[i];
                const float* wt = wd + (j * taps + tap[i]) * ca;
                int64_t c = 0;
                for (; c + 32 <= ca; c += 32) {
                    a0 = D4J_VFMA(LD(xi + c), LD(wt + c), a0);
                    a1 = D4J_VFMA(LD(xi + c + 8), LD(wt + c + 8), a1);
                    a2 = D4J_VFMA(LD(xi + c + 16), LD(wt + c + 16), a2);
                    a3 = D4J_VFMA(LD(xi + c + 24), LD(wt + c + 24), a3);
                }
                for (; c + 8 <= ca; c += 8) a0 = D4J_VFMA(LD(xi + c), LD(wt + c), a0);
                for (; c < ca; c++) t += xi[c] * wt[c];
            }
            d4j_v8 a = (a0 + a1) + (a2 + a3);
            out[p * cb + j] = HSUM(a) + t + (bias ? bias[j] : 0.0f);
        }
    }
}

/* out[p, b] = bias[b] + Σ over in-bounds taps Σ_j in[pixel, j] · wa[tap, j, b] */
static void forward_axpy(float* out, const float* in, const float* wa, const float* bias, const geom* g) {
    const int taps = g->k * g->k;
    const int64_t ca = g->ca, cb = g->cb, pixels = g->n * g->oh * g->ow;
#pragma omp parallel for schedule(static) if (parallel(pixels * taps * ca * cb))
    for (int64_t p = 0; p < pixels; p++) {
        const float* rows[MAX_TAPS];
        int tap[MAX_TAPS];
        const int count = pixel_taps(g, in, p, rows, tap);
        float* o = out + p * cb;
        int64_t b = 0;
        for (; b + 32 <= cb; b += 32) {
            d4j_v8 a0 = d4j_v8_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
            if (bias) a0 = LD(bias + b), a1 = LD(bias + b + 8), a2 = LD(bias + b + 16), a3 = LD(bias + b + 24);
            for (int i = 0; i < count; i++) {
                const float* wt = wa + (int64_t)tap[i] * ca * cb + b;
                for (int64_t j = 0; j < ca; j++, wt += cb) {
                    d4j_v8 v = d4j_v8_splat(rows[i][j]);
                    a0 = D4J_VFMA(v, LD(wt), a0);
                    a1 = D4J_VFMA(v, LD(wt + 8), a1);
                    a2 = D4J_VFMA(v, LD(wt + 16), a2);
                    a3 = D4J_VFMA(v, LD(wt + 24), a3);
                }
            }
            ST(o + b, a0); ST(o + b + 8, a1); ST(o + b + 16, a2); ST(o + b + 24, a3);
        }
        for (; b < cb; b++) { /* fewer than 32 columns left: one at a time */
            float a = bias ? bias[b] : 0.0f;
            for (int i = 0; i < count; i++) {
                const float* wt = wa + (int64_t)tap[i] * ca * cb + b;
                for (int64_t j = 0; j < ca; j++) a += rows[i][j] * wt[j * cb];
            }
            o[b] = a;
        }
    }
}

/* out = conv(in, wk) + bias with wk (k, k, ca, cb): the dot form when the output is the narrow side. */
static int forward(float* out, const float* in, const float* wk, const float* bias, const geom* g) {
    if (g->cb > g->ca) {
        forward_axpy(out, in, wk, bias, g);
        return 0;
    }
    const int taps = g->k * g->k;
    float* wd = alloc_floats((size_t)(taps * g->ca * g->cb)); /* wd[j][tap][c] = wk[tap][c][j] */
    if (!wd) return -1;
    for (int t = 0; t < taps; t++)
        for (int64_t c = 0; c < g->ca; c++)
            for (int64_t j = 0; j < g->cb; j++) wd[(j * taps + t) * g->ca + c] = wk[((int64_t)t * g->ca + c) * g->cb + j];
    forward_dot(out, in, wd, bias, g);
    free(wd);
    return 0;
}

int D4J_CPU(conv2d_thin_forward)(float* y, const float* x, const float* w, const float* bias, const d4j_conv_shape* s) {
    geom g = {s->n, s->h, s->w, s->cin, s->ho, s->wo, s->cout, s->k, s->pad};
    return forward(y, x, w, bias, &g);
}

int D4J_CPU(conv2d_thin_backward_data)(float* dx, const float* dy, const float* w, const d4j_conv_shape* s) {
    const int k = s->k, taps = k * k;
    const int64_t cin = s->cin, cout = s->cout;
    float* wf = alloc_floats((size_t)(taps * cin * cout)); /* wf[tap'][co][ci] = w[flipped tap'][ci][co] */
    if (!wf) return -1;
    for (int t = 0; t < taps; t++)
        for (int64_t ci = 0; ci < cin; ci++)
            for (int64_t co = 0; co < cout; co++)
                wf[((int64_t)(taps - 1 - t) * cout + co) * cin + ci] = w[((int64_t)t * cin + ci) * cout + co];
    geom g = {s->n, s->ho, s->wo, cout, s->h, s->w, cin, k, k - 1 - s->pad};
    int rc = forward(dx, dy, wf, NULL, &g);
    free(wf);
    return rc;
}

#define WGRAD_CHUNK 128 /* pixels whose x and dy rows stay in L1 while every tap passes over them */

/* a[0..w) += Σ_p u_p[0..w) · v_p, the pixels' u rows (NULL: outside the input, skipped) scaled by
 * the scalars v_p, held in registers 32 columns at a time */
static void scaled_rows(float* a, const float* const* u, const float* const* v, int64_t off, int np, int64_t w) {
    int64_t c = 0;
    for (; c + 32 <= w; c += 32) {
        d4j_v8 a0 = d4j_v8_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
        for (int p = 0; p < np; p++) {
            if (!u[p]) continue;
            const float* r = u[p] + c;
            d4j_v8 s = d4j_v8_splat(v[p][off]);
            a0 = D4J_VFMA(LD(r), s, a0);
            a1 = D4J_VFMA(LD(r + 8), s, a1);
            a2 = D4J_VFMA(LD(r + 16), s, a2);
            a3 = D4J_VFMA(LD(r + 24), s, a3);
        }
        ST(a + c, LD(a + c) + a0); ST(a + c + 8, LD(a + c + 8) + a1);
        ST(a + c + 16, LD(a + c + 16) + a2); ST(a + c + 24, LD(a + c + 24) + a3);
    }
    for (; c + 8 <= w; c += 8) {
        d4j_v8 a0 = d4j_v8_splat(0.0f);
        for (int p = 0; p < np; p++)
            if (u[p]) a0 = D4J_VFMA(LD(u[p] + c), d4j_v8_splat(v[p][off]), a0);
        ST(a + c, LD(a + c) + a0);
    }
    for (; c < w; c++) {
        float a0 = 0.0f;
        for (int p = 0; p < np; p++)
            if (u[p]) a0 += u[p][c] * v[p][off];
        a[c] += a0;
    }
}

/* part += the pixels [p0, p1)'s x ⊗ dy, laid out [co][tap][ci] (vec_ci: the input channels are
 * the wide side) or [tap][ci][co]; pb += Σ dy. Chunk by chunk, tap by tap. */
static void wgrad_range(float* part, float* pb, const float* dy, const float* x, const d4j_conv_shape* s, int vec_ci,
                        int64_t p0, int64_t p1) {
    const int k = s->k, taps = k * k;
    const int64_t cin = s->cin, cout = s->cout;
    for (int64_t c0 = p0; c0 < p1; c0 += WGRAD_CHUNK) {
        const int np = (int)(p1 - c0 < WGRAD_CHUNK ? p1 - c0 : WGRAD_CHUNK);
        const float* d[WGRAD_CHUNK];
        const float* xp[WGRAD_CHUNK];
        for (int q = 0; q < np; q++) {
            d[q] = dy + (c0 + q) * cout;
            for (int64_t co = 0; co < cout; co++) pb[co] += d[q][co];
        }
        for (int kh = 0; kh < k; kh++)
            for (int kw = 0; kw < k; kw++) {
                for (int q = 0; q < np; q++) {
                    int64_t p = c0 + q, n = p / (s->ho * s->wo), r = p % (s->ho * s->wo);
                    int64_t hi = r / s->wo - s->pad + kh, wi = r % s->wo - s->pad + kw;
                    xp[q] = hi < 0 || hi >= s->h || wi < 0 || wi >= s->w ? NULL : x + ((n * s->h + hi) * s->w + wi) * cin;
                }
                const int t = kh * k + kw;
                if (vec_ci) {
                    for (int64_t co = 0; co < cout; co++)
                        scaled_rows(part + ((int64_t)co * taps + t) * cin, xp, d, co, np, cin);
                } else {
                    const float* dm[WGRAD_CHUNK]; /* dy rows of the pixels this tap sees inside x */
                    for (int q = 0; q < np; q++) dm[q] = xp[q] ? d[q] : NULL;
                    for (int64_t ci = 0; ci < cin; ci++)
                        scaled_rows(part + ((int64_t)t * cin + ci) * cout, dm, xp, ci, np, cout);
                }
            }
    }
}

int D4J_CPU(conv2d_thin_backward_weights)(float* dw, float* dbias, const float* dy, const float* x,
                                           const d4j_conv_shape* s) {
    const int taps = s->k * s->k;
    const int64_t cin = s->cin, cout = s->cout, wsize = (int64_t)taps * cin * cout;
    const int64_t pixels = s->n * s->ho * s->wo;
    const int vec_ci = cin >= cout;
    const int threads = d4j_split_threads(pixels * wsize, pixels);
    float* partial = alloc_floats((size_t)(threads * (wsize + cout)));
    if (!partial) return -1;
    memset(partial, 0, (size_t)(threads * (wsize + cout)) * sizeof(float));
#pragma omp parallel num_threads(threads) if (threads > 1)
    {
        int64_t p0, p1;
        float* part = partial + d4j_split_range(pixels, &p0, &p1) * (wsize + cout);
        wgrad_range(part, part + wsize, dy, x, s, vec_ci, p0, p1);
    }
    for (int th = 0; th < threads; th++) {
        const float* part = partial + th * (wsize + cout);
        for (int t = 0; t < taps; t++)
            for (int64_t ci = 0; ci < cin; ci++)
                for (int64_t co = 0; co < cout; co++) {
                    int64_t i = ((int64_t)t * cin + ci) * cout + co;
                    dw[i] += vec_ci ? part[((int64_t)co * taps + t) * cin + ci] : part[i];
                }
        if (dbias)
            for (int64_t co = 0; co < cout; co++) dbias[co] += part[wsize + co];
    }
    free(partial);
    return 0;
}
