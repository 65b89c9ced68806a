/*
 * groupnorm.c — validation and dispatch of GroupNorm (+ fused SiLU), see d4j.h.
 * x is (N, ..., C): every dim between the first and the last is spatial.
 */
#include <math.h>

#include "../runtime/backend_cuda.h"
#include "../core/add.h"
#include "../core/groupnorm.h"
#include "../runtime/internal.h"

#define D4J_GN_MAX_CHANNELS 4096

static d4j_status gn_shape(const char* fn, d4j_gn_shape* s, const d4j_tensor* x, const char* xname, int32_t groups) {
    char b[96];
    if (x->ndim < 2)
        return d4j_fail(fn, D4J_ERR_SHAPE, "%s has shape %s; it must be (N, ..., C)", xname,
                        d4j_shape_str(b, sizeof b, x->shape, x->ndim));
    int64_t c = x->shape[x->ndim - 1];
    if (c > D4J_GN_MAX_CHANNELS)
        return d4j_fail(fn, D4J_ERR_SHAPE, "%s has %lld channels; at most %d are supported", xname, (long long)c,
                        D4J_GN_MAX_CHANNELS);
    if (groups < 1 || c % groups != 0)
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "groups is %d; it must be >= 1 and divide the %lld channels",
                        groups, (long long)c);
    s->n = x->shape[0];
    s->c = c;
    s->hw = x->numel / (s->n * c);
    s->groups = groups;
    return D4J_OK;
}

static d4j_status check_stats(const char* fn, const char* name, const d4j_tensor* t, const d4j_ctx* ctx,
                              const d4j_gn_shape* s, int written) {
    D4J_TRY(written ? d4j_check_output(fn, name, t, ctx) : d4j_check_tensor(fn, name, t, ctx));
    if (t->ndim != 2 || t->shape[0] != s->n || t->shape[1] != s->groups) {
        char b[96];
        return d4j_fail(fn, D4J_ERR_SHAPE, "%s has shape %s but must be [%lld, %lld] (N, groups)", name,
                        d4j_shape_str(b, sizeof b, t->shape, t->ndim), (long long)s->n, (long long)s->groups);
    }
    return D4J_OK;
}

d4j_status d4j_groupnorm_forward(d4j_ctx* ctx, d4j_tensor* y, d4j_tensor* mean, d4j_tensor* rstd, const d4j_tensor* x,
                                 const d4j_tensor* gamma, const d4j_tensor* beta, int32_t groups, float eps,
                                 int32_t silu) {
    static const char* fn = "d4j_groupnorm_forward";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "y", y, ctx));
    D4J_TRY(d4j_check_tensor(fn, "x", x, ctx));
    d4j_gn_shape s;
    D4J_TRY(gn_shape(fn, &s, x, "x", groups));
    D4J_TRY(d4j_check_same_shape(fn, "y", y, "x", x));
    D4J_TRY(check_stats(fn, "mean", mean, ctx, &s, 1));
    D4J_TRY(check_stats(fn, "rstd", rstd, ctx, &s, 1));
    D4J_TRY(d4j_check_vector(fn, "gamma", gamma, ctx, s.c, 0));
    D4J_TRY(d4j_check_vector(fn, "beta", beta, ctx, s.c, 0));
    if (!(eps > 0.0f) || !isfinite(eps))
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "eps is %g; it must be finite and > 0", (double)eps);
    if (mean == rstd || y == mean || y == rstd || y == gamma || y == beta)
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "y, mean and rstd must be distinct from each other and the inputs");
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_groupnorm_forward(fn, ctx->ordinal, ctx->stream, y->data, mean->data, rstd->data,
                                                       x->data, gamma->data, beta->data, &s, eps, silu != 0));
    if (D4J_CPU_DISPATCH(groupnorm_forward)(y->data, mean->data, rstd->data, x->data, gamma->data, beta->data, &s,
                                            eps, silu != 0))
        return d4j_no_scratch(fn);
    return D4J_OK;
}

/* The backward of both entry points; residual (x's shape) is added to dx when not NULL. */
static d4j_status gn_backward(const char* fn, d4j_ctx* ctx, d4j_tensor* dx, d4j_tensor* dgamma, d4j_tensor* dbeta,
                              const d4j_tensor* dy, const d4j_tensor* x, const d4j_tensor* mean,
                              const d4j_tensor* rstd, const d4j_tensor* gamma, const d4j_tensor* beta,
                              const d4j_tensor* residual, int32_t groups, int32_t silu) {
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "dx", dx, ctx));
    D4J_TRY(d4j_check_tensor(fn, "dy", dy, ctx));
    D4J_TRY(d4j_check_tensor(fn, "x", x, ctx));
    d4j_gn_shape s;
    D4J_TRY(gn_shape(fn, &s, x, "x", groups));
    D4J_TRY(d4j_check_same_shape(fn, "dx", dx, "x", x));
    D4J_TRY(d4j_check_same_shape(fn, "dy", dy, "x", x));
    D4J_TRY(check_stats(fn, "mean", mean, ctx, &s, 0));
    D4J_TRY(check_stats(fn, "rstd", rstd, ctx, &s, 0));
    D4J_TRY(d4j_check_vector(fn, "gamma", gamma, ctx, s.c, 0));
    D4J_TRY(d4j_check_vector(fn, "beta", beta, ctx, s.c, 0));
    D4J_TRY(d4j_check_vector(fn, "dgamma", dgamma, ctx, s.c, 1));
    D4J_TRY(d4j_check_vector(fn, "dbeta", dbeta, ctx, s.c, 1));
    if (residual) {
        D4J_TRY(d4j_check_tensor(fn, "residual", residual, ctx));
        D4J_TRY(d4j_check_same_shape(fn, "residual", residual, "x", x));
    }
    if (dx == dy || dx == x || dgamma == dbeta || dx == dgamma || dx == dbeta || dx == residual)
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "dx, dgamma and dbeta must be distinct from each other and the inputs");
    if (ctx->device_type == D4J_DEVICE_CUDA) {
        /* scratch from the caching allocator: same stream, so releasing it right after the
         * launches is safe (the next user of the block is queued behind them) */
        size_t bytes = d4j_alloc_round((size_t)(2 * s.n * s.c + 2 * s.n * s.groups) * sizeof(float));
        void* scratch = NULL;
        D4J_TRY(d4j_alloc(fn, &ctx->alloc, bytes, &scratch));
        d4j_status st = D4J_CUDA(fn, d4j_cuda_groupnorm_backward(fn, ctx->ordinal, ctx->stream, dx->data,
                                                                  dgamma->data, dbeta->data, dy->data, x->data,
                                                                  mean->data, rstd->data, gamma->data, beta->data,
                                                                  &s, silu != 0, (float*)scratch));
        d4j_release(&ctx->alloc, scratch, bytes);
        /* the CUDA kernels add the residual in a second pass (the same bits as the CPU's fused add) */
        if (st == D4J_OK && residual)
            st = D4J_CUDA(fn, d4j_cuda_add(fn, ctx->ordinal, ctx->stream, dx->data, dx->data, residual->data, dx->numel));
        return st;
    }
    if (D4J_CPU_DISPATCH(groupnorm_backward)(dx->data, dgamma->data, dbeta->data, dy->data, x->data, mean->data,
                                             rstd->data, gamma->data, beta->data, residual ? residual->data : NULL, &s,
                                             silu != 0))
        return d4j_no_scratch(fn);
    return D4J_OK;
}

d4j_status d4j_groupnorm_backward(d4j_ctx* ctx, d4j_tensor* dx, d4j_tensor* dgamma, d4j_tensor* dbeta,
                                  const d4j_tensor* dy, const d4j_tensor* x, const d4j_tensor* mean,
                                  const d4j_tensor* rstd, const d4j_tensor* gamma, const d4j_tensor* beta,
                                  int32_t groups, int32_t silu) {
    return gn_backward("d4j_groupnorm_backward", ctx, dx, dgamma, dbeta, dy, x, mean, rstd, gamma, beta, NULL, groups,
                       silu);
}

d4j_status d4j_groupnorm_backward_residual(d4j_ctx* ctx, d4j_tensor* dx, d4j_tensor* dgamma, d4j_tensor* dbeta,
                                           const d4j_tensor* dy, const d4j_tensor* x, const d4j_tensor* residual,
                                           const d4j_tensor* mean, const d4j_tensor* rstd, const d4j_tensor* gamma,
                                           const d4j_tensor* beta, int32_t groups, int32_t silu) {
    static const char* fn = "d4j_groupnorm_backward_residual";
    if (!residual) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "residual is NULL");
    return gn_backward(fn, ctx, dx, dgamma, dbeta, dy, x, mean, rstd, gamma, beta, residual, groups, silu);
}
