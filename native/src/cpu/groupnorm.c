/*
 * groupnorm.c — GroupNorm (Wu & He, 2018) with optional fused SiLU on the CPU,
 * channels last. Work is split into items of (sample, run of CHUNK pixels);
 * every loop over channels vectorizes.
 *   forward  1. per item and channel: mean and M2 of the chunk (two passes over
 *               L1-resident data)  2. per (n, g): Chan et al.'s pairwise merge of
 *               those in float64 -> mean, rstd = 1/sqrt(var + eps) (biased var)
 *               3. y = x·scale_c + shift_c, then z·σ(z) when fused
 *   backward 1. per item and channel: Σu and Σu·x̂ with u = dy (·SiLU'(z))
 *            2. per n: dβ += Σu, dγ += Σu·x̂; per (n, g): A = Σγu, B = Σγu·x̂
 *            3. dx = rstd·(γu − A/M − x̂·B/M), M = HW·C/G
 * Only reads of x (and dy) touch memory more than once: two passes each way.
 * Why the statistics are stable: within a chunk the squared deviations are
 * taken from the chunk's own mean (the second pass reads L1/L2, not memory),
 * so no E[x²] − E[x]² cancellation; Chan's merge of (count, mean, M2) is exact
 * algebra whose only rounding, in float64, is far below float32's.
 */
#include <math.h>
#include <stdlib.h>

#include "../core/expf.h"
#include "../core/groupnorm.h"

#define CHUNK 64

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* SiLU'(z) = σ(z)(1 + z(1 − σ(z))) */
static inline float dsilu(float z) {
    float s = d4j_sigmoidf(z);
    return D4J_MUL(s, fmaf(z, D4J_SUB(1.0f, s), 1.0f));
}

int D4J_CPU(groupnorm_forward)(float* y, float* mean, float* rstd, const float* x, const float* gamma,
                               const float* beta, const d4j_gn_shape* s, float eps, int silu) {
    const int64_t n = s->n, hw = s->hw, c = s->c, g = s->groups, cg = c / g;
    const int64_t chunks = ceil_div(hw, CHUNK), items = n * chunks;
    float* stats = malloc((size_t)(items * c * 2 + n * c * 2) * sizeof(float));
    if (!stats) return -1;
    float* scale = stats + items * c * 2; /* (N, C): rstd·γ */
    float* shift = scale + n * c;         /* (N, C): β − mean·rstd·γ */
    const int par = n * hw * c >= D4J_CPU_PARALLEL_MIN;

#pragma omp parallel for schedule(static) if (par)
    for (int64_t it = 0; it < items; it++) {
        int64_t b = it / chunks, p0 = (it % chunks) * CHUNK, p1 = p0 + CHUNK < hw ? p0 + CHUNK : hw;
        float* m = stats + it * c * 2;
        float* m2 = m + c;
        const float* xb = x + b * hw * c;
        for (int64_t ch = 0; ch < c; ch++) m[ch] = 0.0f, m2[ch] = 0.0f;
        for (int64_t p = p0; p < p1; p++)
            for (int64_t ch = 0; ch < c; ch++) m[ch] += xb[p * c + ch];
        float inv = 1.0f / (float)(p1 - p0);
        for (int64_t ch = 0; ch < c; ch++) m[ch] *= inv;
        for (int64_t p = p0; p < p1; p++)
            for (int64_t ch = 0; ch < c; ch++) {
                float d = xb[p * c + ch] - m[ch];
                m2[ch] = fmaf(d, d, m2[ch]);
            }
    }

#pragma omp parallel for schedule(static) if (par)
    for (int64_t bg = 0; bg < n * g; bg++) {
        int64_t b = bg / g, grp = bg % g;
        double cnt = 0, mu = 0, m2 = 0;
        for (int64_t k = 0; k < chunks; k++) {
            double nk = (double)((k + 1) * CHUNK < hw ? CHUNK : hw - k * CHUNK);
            const float* st = stats + (b * chunks + k) * c * 2;
            for (int64_t ch = grp * cg; ch < (grp + 1) * cg; ch++) { /* Chan's merge */
                double tot = cnt + nk, delta = (double)st[ch] - mu;
                mu += delta * nk / tot;
                m2 += (double)st[c + ch] + delta * delta * cnt * nk / tot;
                cnt = tot;
            }
        }
        double r = 1.0 / sqrt(m2 / cnt + (double)eps);
        mean[bg] = (float)mu;
        rstd[bg] = (float)r;
        for (int64_t ch = grp * cg; ch < (grp + 1) * cg; ch++) {
            scale[b * c + ch] = (float)(r * gamma[ch]);
            shift[b * c + ch] = (float)(beta[ch] - mu * r * gamma[ch]);
        }
    }

#pragma omp parallel for schedule(static) if (par)
    for (int64_t it = 0; it < items; it++) {
        int64_t b = it / chunks, p0 = (it % chunks) * CHUNK, p1 = p0 + CHUNK < hw ? p0 + CHUNK : hw;
        const float* sc = scale + b * c;
        const float* sh = shift + b * c;
        for (int64_t p = p0; p < p1; p++) {
            const float* xp = x + (b * hw + p) * c;
            float* yp = y + (b * hw + p) * c;
            if (silu)
                for (int64_t ch = 0; ch < c; ch++) {
                    float z = fmaf(xp[ch], sc[ch], sh[ch]);
                    yp[ch] = D4J_MUL(z, d4j_sigmoidf(z));
                }
            else
                for (int64_t ch = 0; ch < c; ch++) yp[ch] = fmaf(xp[ch], sc[ch], sh[ch]);
        }
    }
    free(stats);
    return 0;
}

int D4J_CPU(groupnorm_backward)(float* dx, float* dgamma, float* dbeta, const float* dy, const float* x,
                                const float* mean, const float* rstd, const float* gamma, const float* beta,
                                const d4j_gn_shape* s, int silu) {
    const int64_t n = s->n, hw = s->hw, c = s->c, g = s->groups, cg = c / g;
    const int64_t chunks = ceil_div(hw, CHUNK), items = n * chunks;
    float* sums = malloc((size_t)(items * c * 2 + n * c * 2 + n * g * 2) * sizeof(float));
    if (!sums) return -1;
    float* xm = sums + items * c * 2; /* (N, C): per-channel mean of the sample's group */
    float* xr = xm + n * c;           /* (N, C): per-channel rstd */
    float* ab = xr + n * c;           /* (N, G): A/M and B/M */
    const int par = n * hw * c >= D4J_CPU_PARALLEL_MIN;
    for (int64_t b = 0; b < n; b++)
        for (int64_t ch = 0; ch < c; ch++) {
            xm[b * c + ch] = mean[b * g + ch / cg];
            xr[b * c + ch] = rstd[b * g + ch / cg];
        }

#pragma omp parallel for schedule(static) if (par)
    for (int64_t it = 0; it < items; it++) {
        int64_t b = it / chunks, p0 = (it % chunks) * CHUNK, p1 = p0 + CHUNK < hw ? p0 + CHUNK : hw;
        float su[4096], sux[4096]; /* this item's per-channel sums (C <= 4096) */
        const float* restrict mu = xm + b * c;
        const float* restrict rs = xr + b * c;
        const float* restrict ga = gamma;
        const float* restrict be = beta;
        for (int64_t ch = 0; ch < c; ch++) su[ch] = 0.0f, sux[ch] = 0.0f;
        for (int64_t p = p0; p < p1; p++) {
            const float* restrict xp = x + (b * hw + p) * c;
            const float* restrict dp = dy + (b * hw + p) * c;
            if (silu)
                for (int64_t ch = 0; ch < c; ch++) {
                    float xhat = D4J_MUL(D4J_SUB(xp[ch], mu[ch]), rs[ch]);
                    float u = D4J_MUL(dp[ch], dsilu(fmaf(xhat, ga[ch], be[ch])));
                    su[ch] += u;
                    sux[ch] = fmaf(u, xhat, sux[ch]);
                }
            else
                for (int64_t ch = 0; ch < c; ch++) {
                    float xhat = D4J_MUL(D4J_SUB(xp[ch], mu[ch]), rs[ch]);
                    su[ch] += dp[ch];
                    sux[ch] = fmaf(dp[ch], xhat, sux[ch]);
                }
        }
        float* out = sums + it * c * 2;
        for (int64_t ch = 0; ch < c; ch++) {
            out[ch] = su[ch];
            out[c + ch] = sux[ch];
        }
    }

    for (int64_t b = 0; b < n; b++) {
        for (int64_t grp = 0; grp < g; grp++) {
            double a = 0, bsum = 0;
            for (int64_t ch = grp * cg; ch < (grp + 1) * cg; ch++) {
                double su = 0, sux = 0;
                for (int64_t k = 0; k < chunks; k++) {
                    su += sums[(b * chunks + k) * c * 2 + ch];
                    sux += sums[(b * chunks + k) * c * 2 + c + ch];
                }
                dbeta[ch] += (float)su;
                dgamma[ch] += (float)sux;
                a += gamma[ch] * su;
                bsum += gamma[ch] * sux;
            }
            double m = (double)(hw * cg);
            ab[(b * g + grp) * 2] = (float)(a / m);
            ab[(b * g + grp) * 2 + 1] = (float)(bsum / m);
        }
    }

#pragma omp parallel for schedule(static) if (par)
    for (int64_t it = 0; it < items; it++) {
        int64_t b = it / chunks, p0 = (it % chunks) * CHUNK, p1 = p0 + CHUNK < hw ? p0 + CHUNK : hw;
        const float* restrict mu = xm + b * c;
        const float* restrict rs = xr + b * c;
        const float* restrict ga = gamma;
        const float* restrict be = beta;
        float am[4096], bm[4096]; /* per-channel A/M, B/M of the channel's group (C <= 4096) */
        for (int64_t ch = 0; ch < c; ch++) {
            am[ch] = ab[(b * g + ch / cg) * 2];
            bm[ch] = ab[(b * g + ch / cg) * 2 + 1];
        }
        for (int64_t p = p0; p < p1; p++) {
            const float* restrict xp = x + (b * hw + p) * c;
            const float* restrict dp = dy + (b * hw + p) * c;
            float* restrict dxp = dx + (b * hw + p) * c;
            if (silu)
                for (int64_t ch = 0; ch < c; ch++) {
                    float xhat = D4J_MUL(D4J_SUB(xp[ch], mu[ch]), rs[ch]);
                    float u = D4J_MUL(dp[ch], dsilu(fmaf(xhat, ga[ch], be[ch])));
                    float inner = D4J_SUB(D4J_SUB(D4J_MUL(ga[ch], u), am[ch]), D4J_MUL(xhat, bm[ch]));
                    dxp[ch] = D4J_MUL(rs[ch], inner);
                }
            else
                for (int64_t ch = 0; ch < c; ch++) {
                    float xhat = D4J_MUL(D4J_SUB(xp[ch], mu[ch]), rs[ch]);
                    float inner = D4J_SUB(D4J_SUB(D4J_MUL(ga[ch], dp[ch]), am[ch]), D4J_MUL(xhat, bm[ch]));
                    dxp[ch] = D4J_MUL(rs[ch], inner);
                }
        }
    }
    free(sums);
    return 0;
}
