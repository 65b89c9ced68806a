/*
 * groupnorm.c — GroupNorm (Wu & He, 2018) with optional fused SiLU on the CPU,
 * channels last. Every loop over channels vectorizes; SiLU and σ run 8 lanes at a
 * time (sigmoid_vec.h) in the AVX2 build, 16 in the AVX-512 build, where the chunk
 * sums of forward step 1 and backward step 1 also stay in registers over the chunk.
 *   forward  1. per run of CHUNK pixels and channel: mean and M2 of the chunk (two
 *               passes over L1-resident data)  2. per (n, g): Chan et al.'s merge of
 *               those in float64 -> mean, rstd = 1/sqrt(var + eps) (biased var)
 *               3. y = x·scale_c + shift_c, then z·σ(z) when fused
 *            With enough samples each thread runs 1–3 on whole samples (the sample
 *            stays in its L2 between 1 and 3: x is read from memory once, and step 3
 *            prefetches the thread's next sample); with
 *            fewer (batch 1) every pass splits into (sample, chunk) items instead.
 *   backward 1. per item and channel: Σu and Σu·x̂ with u = dy (·SiLU'(z))
 *            2. per n: dβ += Σu, dγ += Σu·x̂; per (n, g): A = Σγu, B = Σγu·x̂
 *            3. dx = rstd·(γu − A/M − x̂·B/M), M = HW·C/G
 *            With SiLU, step 1 parks u in dx (which may alias neither dy nor x) and
 *            step 3 reads it back instead of evaluating σ a second time. Like the
 *            forward, a thread runs 1–3 on whole samples where they spread evenly.
 * Why the statistics are stable: within a chunk the squared deviations are
 * taken from the chunk's own mean (the second pass reads L1/L2, not memory),
 * so no E[x²] − E[x]² cancellation; Chan's merge of (count, mean, M2) is exact
 * algebra whose only rounding, in float64, is far below float32's.
 */
#include <math.h>
#include <omp.h>
#include <stdlib.h>

#include "../core/expf.h"      /* d4j_sigmoidf: the scalar tail and the generic build */
#include "../core/groupnorm.h"
#include "sigmoid_vec.h"        /* d4j_silu8, d4j_sigmoid8 where AVX2+FMA are built */

#define CHUNK 64

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* SiLU'(z) = σ(z)(1 + z(1 − σ(z))) */
static inline float dsilu(float z) {
    float s = d4j_sigmoidf(z);
    return D4J_MUL(s, fmaf(z, D4J_SUB(1.0f, s), 1.0f));
}

#ifdef __AVX512F__
/* chunk_stats for channels c0 .. c0 + 16·nb (nb <= 4, a literal where inlined): the sums stay in
 * zmm registers over the chunk's pixels instead of going through memory every pixel; per lane
 * the same operations in the same order as the scalar loop below, so the same bits. */
static inline __attribute__((always_inline)) void stats_block(int nb, float* restrict m, float* restrict m2,
                                                             const float* restrict xb, int64_t p0, int64_t p1,
                                                             int64_t c, int64_t c0) {
    __m512 acc[4], mu[4];
    for (int j = 0; j < nb; j++) acc[j] = _mm512_setzero_ps();
    for (int64_t p = p0; p < p1; p++)
        for (int j = 0; j < nb; j++) acc[j] = _mm512_add_ps(acc[j], _mm512_loadu_ps(xb + p * c + c0 + 16 * j));
    const __m512 inv = _mm512_set1_ps(1.0f / (float)(p1 - p0));
    for (int j = 0; j < nb; j++) mu[j] = _mm512_mul_ps(acc[j], inv), acc[j] = _mm512_setzero_ps();
    for (int64_t p = p0; p < p1; p++)
        for (int j = 0; j < nb; j++) {
            __m512 d = _mm512_sub_ps(_mm512_loadu_ps(xb + p * c + c0 + 16 * j), mu[j]);
            acc[j] = _mm512_fmadd_ps(d, d, acc[j]);
        }
    for (int j = 0; j < nb; j++) {
        _mm512_storeu_ps(m + c0 + 16 * j, mu[j]);
        _mm512_storeu_ps(m2 + c0 + 16 * j, acc[j]);
    }
}
#endif

/* Mean and M2 (sum of squared deviations) per channel of pixels [p0, p1) of one sample xb:
 * two passes over CHUNK·C floats that stay in L1/L2, deviations from the chunk's own mean. */
static void chunk_stats(float* restrict m, float* restrict m2, const float* restrict xb, int64_t p0, int64_t p1,
                        int64_t c) {
    int64_t done = 0;
#ifdef __AVX512F__
    while (c - done >= 16) {
        int nb = (c - done) / 16 < 4 ? (int)((c - done) / 16) : 4;
        switch (nb) {
        case 1: stats_block(1, m, m2, xb, p0, p1, c, done); break;
        case 2: stats_block(2, m, m2, xb, p0, p1, c, done); break;
        case 3: stats_block(3, m, m2, xb, p0, p1, c, done); break;
        default: stats_block(4, m, m2, xb, p0, p1, c, done); break;
        }
        done += 16 * nb;
    }
#endif
    for (int64_t ch = done; ch < c; ch++) m[ch] = 0.0f, m2[ch] = 0.0f;
    for (int64_t p = p0; p < p1; p++)
        for (int64_t ch = done; ch < c; ch++) m[ch] += xb[p * c + ch];
    float inv = 1.0f / (float)(p1 - p0);
    for (int64_t ch = done; ch < c; ch++) m[ch] *= inv;
    for (int64_t p = p0; p < p1; p++)
        for (int64_t ch = done; ch < c; ch++) {
            float d = xb[p * c + ch] - m[ch];
            m2[ch] = fmaf(d, d, m2[ch]);
        }
}

/* y = x·scale_c + shift_c over pixels [p0, p1) of one sample, then z·σ(z) when fused */
static void normalize(float* restrict yb, const float* restrict xb, const float* restrict sc,
                      const float* restrict sh, int64_t p0, int64_t p1, int64_t c, int silu, const float* next) {
    for (int64_t p = p0; p < p1; p++) {
        const float* restrict xp = xb + p * c;
        float* restrict yp = yb + p * c;
        if (next) /* pull the thread's next sample into L2 while this one is written */
            for (int64_t ch = 0; ch < c; ch += 16) __builtin_prefetch(next + p * c + ch, 0, 2);
        if (!silu) {
            for (int64_t ch = 0; ch < c; ch++) yp[ch] = fmaf(xp[ch], sc[ch], sh[ch]);
            continue;
        }
        int64_t ch = 0;
#ifdef D4J_HAVE_SIGMOID16
        for (; ch + 16 <= c; ch += 16) {
            __m512 z = _mm512_fmadd_ps(_mm512_loadu_ps(xp + ch), _mm512_loadu_ps(sc + ch), _mm512_loadu_ps(sh + ch));
            _mm512_storeu_ps(yp + ch, d4j_silu16(z));
        }
#endif
#ifdef D4J_HAVE_SIGMOID8
        for (; ch + 8 <= c; ch += 8) {
            __m256 z = _mm256_fmadd_ps(_mm256_loadu_ps(xp + ch), _mm256_loadu_ps(sc + ch), _mm256_loadu_ps(sh + ch));
            _mm256_storeu_ps(yp + ch, d4j_silu8(z));
        }
#endif
        for (; ch < c; ch++) {
            float z = fmaf(xp[ch], sc[ch], sh[ch]);
            yp[ch] = D4J_MUL(z, d4j_sigmoidf(z));
        }
    }
}

/* Chan et al.'s merge, per channel in [c0, c1), of the running (p0 pixels, mu, m2) with a
 * chunk's (p1 − p0 pixels, cm, cm2), in float64. Both schedules merge a channel's chunks in
 * pixel order through this one function, so their statistics agree to the bit and a
 * sample's output does not depend on the batch it is in. */
static void merge_chunk(double* restrict mu, double* restrict m2, const float* restrict cm, const float* restrict cm2,
                        int64_t c0, int64_t c1, int64_t p0, int64_t p1) {
    double nk = (double)(p1 - p0), na = (double)p0, tot = (double)p1;
    for (int64_t ch = c0; ch < c1; ch++) {
        double delta = (double)cm[ch] - mu[ch];
        mu[ch] += delta * nk / tot;
        m2[ch] += (double)cm2[ch] + delta * delta * na * nk / tot;
    }
}

/* Statistics of group grp from its channels' (mean, M2) over hw pixels each (float64):
 * Chan et al.'s merge of equal counts, mean = avg of the means, M2 = Σ M2_c + hw Σ (mean_c − mean)². */
static void group_from_channels(float* mean, float* rstd, float* restrict sc, float* restrict sh,
                                const double* restrict mu, const double* restrict m2, const float* gamma,
                                const float* beta, int64_t c0, int64_t cg, int64_t hw, float eps) {
    double gm = 0, gm2 = 0;
    for (int64_t ch = c0; ch < c0 + cg; ch++) gm += mu[ch];
    gm /= (double)cg;
    for (int64_t ch = c0; ch < c0 + cg; ch++) {
        double d = mu[ch] - gm;
        gm2 += m2[ch] + (double)hw * d * d;
    }
    double r = 1.0 / sqrt(gm2 / (double)(hw * cg) + (double)eps);
    *mean = (float)gm;
    *rstd = (float)r;
    for (int64_t ch = c0; ch < c0 + cg; ch++) {
        sc[ch] = (float)(r * gamma[ch]);
        sh[ch] = (float)(beta[ch] - gm * r * gamma[ch]);
    }
}

/* One thread per sample: its statistics pass brings the sample (HW·C floats; 256 KB at
 * 32×32×64) into this core's L2 and the normalizing pass reads it from there, so memory is
 * read once and written once; no scratch but a few C-vectors per thread. */
static int forward_per_sample(float* y, float* mean, float* rstd, const float* x, const float* gamma,
                              const float* beta, const d4j_gn_shape* s, float eps, int silu, int par, int threads) {
    const int64_t n = s->n, hw = s->hw, c = s->c, g = s->groups, cg = c / g;
    /* per thread: running per-channel mean and M2 (double), chunk mean and M2, scale, shift (float) */
    const size_t per = (size_t)c * (2 * sizeof(double) + 4 * sizeof(float));
    char* scratch = malloc((size_t)threads * per);
    if (!scratch) return -1;
#pragma omp parallel for schedule(static) if (par)
    for (int64_t b = 0; b < n; b++) {
        double* mu = (double*)(scratch + (size_t)omp_get_thread_num() * per);
        double* m2 = mu + c;
        float* cm = (float*)(m2 + c);
        float* cm2 = cm + c;
        float* sc = cm2 + c;
        float* sh = sc + c;
        const float* xb = x + b * hw * c;
        for (int64_t ch = 0; ch < c; ch++) mu[ch] = 0.0, m2[ch] = 0.0;
        for (int64_t p0 = 0; p0 < hw; p0 += CHUNK) {
            int64_t p1 = p0 + CHUNK < hw ? p0 + CHUNK : hw;
            chunk_stats(cm, cm2, xb, p0, p1, c);
            merge_chunk(mu, m2, cm, cm2, 0, c, p0, p1);
        }
        for (int64_t grp = 0; grp < g; grp++)
            group_from_channels(&mean[b * g + grp], &rstd[b * g + grp], sc, sh, mu, m2, gamma, beta, grp * cg, cg, hw,
                                eps);
        normalize(y + b * hw * c, xb, sc, sh, 0, hw, c, silu, b + 1 < n ? xb + hw * c : NULL);
    }
    free(scratch);
    return 0;
}

/* Fewer samples than threads can share evenly (batch 1 sampling): items of (sample, CHUNK
 * pixels) for every pass; x is read twice from memory. */
static int forward_per_chunk(float* y, float* mean, float* rstd, const float* x, const float* gamma,
                             const float* beta, const d4j_gn_shape* s, float eps, int silu, int par) {
    const int64_t n = s->n, hw = s->hw, c = s->c, g = s->groups, cg = c / g;
    const int64_t chunks = ceil_div(hw, CHUNK), items = n * chunks;
    /* (N, C) float64 running mean and M2 per channel, then per item (C) chunk mean and M2, then
     * (N, C) scale = rstd·γ and shift = β − mean·rstd·γ */
    double* dstats = malloc((size_t)(n * c * 2) * sizeof(double) + (size_t)(items * c * 2 + n * c * 2) * sizeof(float));
    if (!dstats) return -1;
    double* mus = dstats;
    double* m2s = mus + n * c;
    float* stats = (float*)(m2s + n * c);
    float* scale = stats + items * c * 2;
    float* shift = scale + n * c;

#pragma omp parallel for schedule(static) if (par)
    for (int64_t it = 0; it < items; it++) {
        int64_t b = it / chunks, p0 = (it % chunks) * CHUNK, p1 = p0 + CHUNK < hw ? p0 + CHUNK : hw;
        float* m = stats + it * c * 2;
        chunk_stats(m, m + c, x + b * hw * c, p0, p1, c);
    }

#pragma omp parallel for schedule(static) if (par)
    for (int64_t bg = 0; bg < n * g; bg++) {
        int64_t b = bg / g, c0 = (bg % g) * cg;
        double* mu = mus + b * c;
        double* m2 = m2s + b * c;
        for (int64_t ch = c0; ch < c0 + cg; ch++) mu[ch] = 0.0, m2[ch] = 0.0;
        for (int64_t k = 0; k < chunks; k++) {
            const float* st = stats + (b * chunks + k) * c * 2;
            merge_chunk(mu, m2, st, st + c, c0, c0 + cg, k * CHUNK, (k + 1) * CHUNK < hw ? (k + 1) * CHUNK : hw);
        }
        group_from_channels(&mean[bg], &rstd[bg], scale + b * c, shift + b * c, mu, m2, gamma, beta, c0, cg, hw, eps);
    }

#pragma omp parallel for schedule(static) if (par)
    for (int64_t it = 0; it < items; it++) {
        int64_t b = it / chunks, p0 = (it % chunks) * CHUNK, p1 = p0 + CHUNK < hw ? p0 + CHUNK : hw;
        normalize(y + b * hw * c, x + b * hw * c, scale + b * c, shift + b * c, p0, p1, c, silu, NULL);
    }
    free(dstats);
    return 0;
}

#ifdef D4J_HAVE_SIGMOID8
/* channels ch..ch+7 of one pixel: x̂ = (x − mean)·rstd and u = dy·SiLU'(x̂γ + β) */
static inline __m256 dsilu_grad8(__m256* xhat, const float* xp, const float* dp, const float* mu, const float* rs,
                                 const float* ga, const float* be, int64_t ch) {
    *xhat = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xp + ch), _mm256_loadu_ps(mu + ch)), _mm256_loadu_ps(rs + ch));
    __m256 z = _mm256_fmadd_ps(*xhat, _mm256_loadu_ps(ga + ch), _mm256_loadu_ps(be + ch));
    __m256 sg = d4j_sigmoid8(z), one = _mm256_set1_ps(1.0f);
    __m256 ds = _mm256_mul_ps(sg, _mm256_fmadd_ps(z, _mm256_sub_ps(one, sg), one));
    return _mm256_mul_ps(_mm256_loadu_ps(dp + ch), ds);
}
#endif

int D4J_CPU(groupnorm_forward)(float* y, float* mean, float* rstd, const float* x, const float* gamma,
                               const float* beta, const d4j_gn_shape* s, float eps, int silu) {
    const int par = s->n * s->hw * s->c >= D4J_CPU_PARALLEL_MIN;
    const int threads = par ? omp_get_max_threads() : 1;
    /* per sample when the samples spread evenly over the threads (at most 1 in 4 idle at the end) */
    if (s->n % threads == 0 || s->n >= 4 * (int64_t)threads)
        return forward_per_sample(y, mean, rstd, x, gamma, beta, s, eps, silu, par, threads);
    return forward_per_chunk(y, mean, rstd, x, gamma, beta, s, eps, silu, par);
}

/* What every part of a backward reads: the item (sample, CHUNK pixels) split of the forward's
 * per-chunk schedule, per-channel mean and rstd of each sample's groups, the per-item sums. */
typedef struct {
    float* dx;
    const float *dy, *x, *gamma, *beta, *xm, *xr, *res; /* res: added to dx, or NULL */
    float *sums, *ab;
    int64_t n, hw, c, g, cg, chunks;
    int silu;
} gn_bwd;

#ifdef D4J_HAVE_SIGMOID16
/* Step 1 with SiLU for channels c0 .. c0 + 16·nb (nb <= 4, a literal where inlined) of np pixels
 * from x0, d0 (u stored from u0): the sums stay in zmm registers over the pixels; per lane the
 * same operations in the same order as the 8-lane loop, so the same bits. */
static inline __attribute__((always_inline)) void silu_sums_block(int nb, float* su, float* sux, float* u0,
                                                                  const float* x0, const float* d0, int64_t np,
                                                                  int64_t c, int64_t c0, const float* mu,
                                                                  const float* rs, const float* ga, const float* be) {
    const __m512 one = _mm512_set1_ps(1.0f);
    __m512 s[4], t[4];
    for (int k = 0; k < nb; k++) s[k] = t[k] = _mm512_setzero_ps();
    for (int64_t p = 0; p < np; p++)
        for (int k = 0; k < nb; k++) {
            int64_t ch = c0 + 16 * k, o = p * c + ch;
            __m512 xhat = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(x0 + o), _mm512_loadu_ps(mu + ch)),
                                        _mm512_loadu_ps(rs + ch));
            __m512 z = _mm512_fmadd_ps(xhat, _mm512_loadu_ps(ga + ch), _mm512_loadu_ps(be + ch));
            __m512 sg = d4j_sigmoid16(z);
            __m512 u = _mm512_mul_ps(_mm512_loadu_ps(d0 + o),
                                     _mm512_mul_ps(sg, _mm512_fmadd_ps(z, _mm512_sub_ps(one, sg), one)));
            _mm512_storeu_ps(u0 + o, u);
            s[k] = _mm512_add_ps(s[k], u);
            t[k] = _mm512_fmadd_ps(u, xhat, t[k]);
        }
    for (int k = 0; k < nb; k++) {
        _mm512_storeu_ps(su + c0 + 16 * k, s[k]);
        _mm512_storeu_ps(sux + c0 + 16 * k, t[k]);
    }
}
#endif

/* Step 1 for item it: Σu and Σu·x̂ per channel into sums[it]; u parked in dx with SiLU. */
static void bwd_item_sums(const gn_bwd* j, int64_t it) {
    const int64_t hw = j->hw, c = j->c, chunks = j->chunks;
    const int silu = j->silu;
    const float *x = j->x, *dy = j->dy;
    float* dx = j->dx;
    int64_t b = it / chunks, p0 = (it % chunks) * CHUNK, p1 = p0 + CHUNK < hw ? p0 + CHUNK : hw;
    const float* restrict mu = j->xm + b * c;
    const float* restrict rs = j->xr + b * c;
    const float* restrict ga = j->gamma;
    const float* restrict be = j->beta;
    float su[4096], sux[4096]; /* this item's per-channel sums (C <= 4096) */
    int64_t done = 0; /* channels [0, done) summed by whole 16-lane blocks */
#ifdef D4J_HAVE_SIGMOID16
    const int64_t o0 = (b * hw + p0) * c;
    while (silu && c - done >= 16) {
        int nb = (c - done) / 16 < 4 ? (int)((c - done) / 16) : 4;
        switch (nb) {
        case 1: silu_sums_block(1, su, sux, dx + o0, x + o0, dy + o0, p1 - p0, c, done, mu, rs, ga, be); break;
        case 2: silu_sums_block(2, su, sux, dx + o0, x + o0, dy + o0, p1 - p0, c, done, mu, rs, ga, be); break;
        case 3: silu_sums_block(3, su, sux, dx + o0, x + o0, dy + o0, p1 - p0, c, done, mu, rs, ga, be); break;
        default: silu_sums_block(4, su, sux, dx + o0, x + o0, dy + o0, p1 - p0, c, done, mu, rs, ga, be); break;
        }
        done += 16 * nb;
    }
#endif
    for (int64_t ch = done; ch < c; ch++) su[ch] = 0.0f, sux[ch] = 0.0f;
    for (int64_t p = p0; p < p1 && done < c; p++) {
        const float* restrict xp = x + (b * hw + p) * c;
        const float* restrict dp = dy + (b * hw + p) * c;
        if (silu) {
            float* restrict up = dx + (b * hw + p) * c; /* u parked in dx for step 3 */
            int64_t ch = done;
#ifdef D4J_HAVE_SIGMOID8
            for (; ch + 8 <= c; ch += 8) {
                __m256 xhat, u = dsilu_grad8(&xhat, xp, dp, mu, rs, ga, be, ch);
                _mm256_storeu_ps(up + ch, u);
                _mm256_storeu_ps(su + ch, _mm256_add_ps(_mm256_loadu_ps(su + ch), u));
                _mm256_storeu_ps(sux + ch, _mm256_fmadd_ps(u, xhat, _mm256_loadu_ps(sux + ch)));
            }
#endif
            for (; ch < c; ch++) {
                float xhat = D4J_MUL(D4J_SUB(xp[ch], mu[ch]), rs[ch]);
                float u = D4J_MUL(dp[ch], dsilu(fmaf(xhat, ga[ch], be[ch])));
                up[ch] = u;
                su[ch] += u;
                sux[ch] = fmaf(u, xhat, sux[ch]);
            }
        } else
            for (int64_t ch = done; ch < c; ch++) {
                float xhat = D4J_MUL(D4J_SUB(xp[ch], mu[ch]), rs[ch]);
                su[ch] += dp[ch];
                sux[ch] = fmaf(dp[ch], xhat, sux[ch]);
            }
    }
    float* out = j->sums + it * c * 2;
    for (int64_t ch = 0; ch < c; ch++) {
        out[ch] = su[ch];
        out[c + ch] = sux[ch];
    }
}

/* Step 2 for sample b: A/M and B/M per group from its items' sums (float64, chunks in order). */
static void bwd_sample_ab(const gn_bwd* j, int64_t b) {
    const int64_t c = j->c, cg = j->cg, chunks = j->chunks;
    for (int64_t grp = 0; grp < j->g; grp++) {
        double a = 0, bsum = 0;
        for (int64_t ch = grp * cg; ch < (grp + 1) * cg; ch++) {
            double su = 0, sux = 0;
            for (int64_t k = 0; k < chunks; k++) {
                su += j->sums[(b * chunks + k) * c * 2 + ch];
                sux += j->sums[(b * chunks + k) * c * 2 + c + ch];
            }
            a += j->gamma[ch] * su;
            bsum += j->gamma[ch] * sux;
        }
        double m = (double)(j->hw * cg);
        j->ab[(b * j->g + grp) * 2] = (float)(a / m);
        j->ab[(b * j->g + grp) * 2 + 1] = (float)(bsum / m);
    }
}

/* Step 3 for item it: dx = rstd·(γu − A/M − x̂·B/M) (+ the residual, added after the product:
 * the bits of a separate add). */
static void bwd_item_dx(const gn_bwd* j, int64_t it) {
    const int64_t hw = j->hw, c = j->c, g = j->g, cg = j->cg, chunks = j->chunks;
    const int silu = j->silu;
    const float *x = j->x, *dy = j->dy, *ab = j->ab;
    float* dx = j->dx;
    int64_t b = it / chunks, p0 = (it % chunks) * CHUNK, p1 = p0 + CHUNK < hw ? p0 + CHUNK : hw;
    const float* restrict mu = j->xm + b * c;
    const float* restrict rs = j->xr + b * c;
    const float* restrict ga = j->gamma;
    float am[4096], bm[4096]; /* per-channel A/M, B/M of the channel's group (C <= 4096) */
    for (int64_t ch = 0; ch < c; ch++) {
        am[ch] = ab[(b * g + ch / cg) * 2];
        bm[ch] = ab[(b * g + ch / cg) * 2 + 1];
    }
    for (int64_t p = p0; p < p1; p++) {
        const float* restrict xp = x + (b * hw + p) * c;
        const float* restrict dp = dy + (b * hw + p) * c;
        float* restrict dxp = dx + (b * hw + p) * c;
        const float* restrict rp = j->res ? j->res + (b * hw + p) * c : NULL;
        if (silu) { /* u = dy·SiLU'(z) from step 1, read back from dx and overwritten */
            int64_t ch = 0;
#ifdef D4J_HAVE_SIGMOID8
            for (; ch + 8 <= c; ch += 8) {
                __m256 xhat = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xp + ch), _mm256_loadu_ps(mu + ch)),
                                            _mm256_loadu_ps(rs + ch));
                __m256 u = _mm256_loadu_ps(dxp + ch);
                __m256 inner = _mm256_sub_ps(_mm256_sub_ps(_mm256_mul_ps(_mm256_loadu_ps(ga + ch), u),
                                                           _mm256_loadu_ps(am + ch)),
                                             _mm256_mul_ps(xhat, _mm256_loadu_ps(bm + ch)));
                __m256 v = _mm256_mul_ps(_mm256_loadu_ps(rs + ch), inner);
                if (rp) v = _mm256_add_ps(v, _mm256_loadu_ps(rp + ch));
                _mm256_storeu_ps(dxp + ch, v);
            }
#endif
            for (; ch < c; ch++) {
                float xhat = D4J_MUL(D4J_SUB(xp[ch], mu[ch]), rs[ch]);
                float u = dxp[ch];
                float inner = D4J_SUB(D4J_SUB(D4J_MUL(ga[ch], u), am[ch]), D4J_MUL(xhat, bm[ch]));
                dxp[ch] = rp ? D4J_ADD(D4J_MUL(rs[ch], inner), rp[ch]) : D4J_MUL(rs[ch], inner);
            }
        } else
            for (int64_t ch = 0; ch < c; ch++) {
                float xhat = D4J_MUL(D4J_SUB(xp[ch], mu[ch]), rs[ch]);
                float inner = D4J_SUB(D4J_SUB(D4J_MUL(ga[ch], dp[ch]), am[ch]), D4J_MUL(xhat, bm[ch]));
                dxp[ch] = rp ? D4J_ADD(D4J_MUL(rs[ch], inner), rp[ch]) : D4J_MUL(rs[ch], inner);
            }
    }
}

int D4J_CPU(groupnorm_backward)(float* dx, float* dgamma, float* dbeta, const float* dy, const float* x,
                                const float* mean, const float* rstd, const float* gamma, const float* beta,
                                const float* residual, const d4j_gn_shape* s, int silu) {
    const int64_t n = s->n, hw = s->hw, c = s->c, g = s->groups, cg = c / g;
    const int64_t chunks = ceil_div(hw, CHUNK), items = n * chunks;
    float* sums = malloc((size_t)(items * c * 2 + n * c * 2 + n * g * 2) * sizeof(float));
    if (!sums) return -1;
    float* xm = sums + items * c * 2; /* (N, C): per-channel mean of the sample's group */
    float* xr = xm + n * c;           /* (N, C): per-channel rstd */
    float* ab = xr + n * c;           /* (N, G): A/M and B/M */
    const int par = n * hw * c >= D4J_CPU_PARALLEL_MIN;
    const int threads = par ? omp_get_max_threads() : 1;
    for (int64_t b = 0; b < n; b++)
        for (int64_t ch = 0; ch < c; ch++) {
            xm[b * c + ch] = mean[b * g + ch / cg];
            xr[b * c + ch] = rstd[b * g + ch / cg];
        }
    const gn_bwd j = {dx, dy, x, gamma, beta, xm, xr, residual, sums, ab, n, hw, c, g, cg, chunks, silu};
    if (n % threads == 0 || n >= 4 * (int64_t)threads) {
        /* per sample, as the forward: steps 1–3 of a sample on one thread, so its x, dy and u are
         * still in that core's L2 when step 3 reads them again */
#pragma omp parallel for schedule(static) if (par)
        for (int64_t b = 0; b < n; b++) {
            for (int64_t k = 0; k < chunks; k++) bwd_item_sums(&j, b * chunks + k);
            bwd_sample_ab(&j, b);
            for (int64_t k = 0; k < chunks; k++) bwd_item_dx(&j, b * chunks + k);
        }
    } else {
#pragma omp parallel for schedule(static) if (par)
        for (int64_t it = 0; it < items; it++) bwd_item_sums(&j, it);
        for (int64_t b = 0; b < n; b++) bwd_sample_ab(&j, b);
#pragma omp parallel for schedule(static) if (par)
        for (int64_t it = 0; it < items; it++) bwd_item_dx(&j, it);
    }
    /* dβ, dγ: every sample's sums in sample order, whichever schedule ran */
    for (int64_t b = 0; b < n; b++)
        for (int64_t ch = 0; ch < c; ch++) {
            double su = 0, sux = 0;
            for (int64_t k = 0; k < chunks; k++) {
                su += sums[(b * chunks + k) * c * 2 + ch];
                sux += sums[(b * chunks + k) * c * 2 + c + ch];
            }
            dbeta[ch] += (float)su;
            dgamma[ch] += (float)sux;
        }
    free(sums);
    return 0;
}
