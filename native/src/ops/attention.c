/*
 * attention.c — validation and dispatch of fused multi-head self-attention
 * (see d4j.h). qkv may be (N, L, 3C) or (N, H, W, 3C); every dim between the
 * first and the last counts towards the L tokens.
 */
#include <omp.h>

#include "../core/attention.h"
#include "../runtime/backend_cuda.h"
#include "../runtime/internal.h"

static d4j_status attn_shape(const char* fn, d4j_attn_shape* s, const d4j_tensor* qkv, int32_t heads) {
    char b[96];
    if (qkv->ndim < 3 || qkv->shape[qkv->ndim - 1] % 3 != 0)
        return d4j_fail(fn, D4J_ERR_SHAPE, "qkv has shape %s; it must be (N, L, 3C) or (N, H, W, 3C)",
                        d4j_shape_str(b, sizeof b, qkv->shape, qkv->ndim));
    int64_t c = qkv->shape[qkv->ndim - 1] / 3;
    if (heads < 1 || c % heads != 0)
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "heads is %d; it must be >= 1 and divide C = %lld", heads,
                        (long long)c);
    s->n = qkv->shape[0];
    s->c = c;
    s->l = qkv->numel / (s->n * 3 * c);
    s->heads = heads;
    s->d = c / heads;
    if (s->l > 65536)
        return d4j_fail(fn, D4J_ERR_SHAPE, "qkv has %lld tokens; at most 65536 are supported", (long long)s->l);
    return D4J_OK;
}

/* t has qkv's leading dims and C channels */
static d4j_status check_like_out(const char* fn, const char* name, const d4j_tensor* t, const d4j_tensor* qkv,
                                 const d4j_attn_shape* s) {
    int ok = t->ndim == qkv->ndim && t->shape[t->ndim - 1] == s->c;
    for (int i = 0; ok && i < qkv->ndim - 1; i++) ok = t->shape[i] == qkv->shape[i];
    if (!ok) {
        char b1[96], b2[96];
        return d4j_fail(fn, D4J_ERR_SHAPE, "%s has shape %s; it must have qkv %s's leading dims and C = %lld channels",
                        name, d4j_shape_str(b1, sizeof b1, t->shape, t->ndim),
                        d4j_shape_str(b2, sizeof b2, qkv->shape, qkv->ndim), (long long)s->c);
    }
    return D4J_OK;
}

static d4j_status check_lse(const char* fn, const d4j_tensor* lse, const d4j_attn_shape* s) {
    if (lse->ndim != 3 || lse->shape[0] != s->n || lse->shape[1] != s->heads || lse->shape[2] != s->l) {
        char b[96];
        return d4j_fail(fn, D4J_ERR_SHAPE, "lse has shape %s but must be [%lld, %lld, %lld] (N, heads, L)",
                        d4j_shape_str(b, sizeof b, lse->shape, lse->ndim), (long long)s->n, (long long)s->heads,
                        (long long)s->l);
    }
    return D4J_OK;
}

/* The CPU kernels' scratch, from the context's caching allocator: no page faults in steady state. */
static d4j_status cpu_scratch(const char* fn, d4j_ctx* ctx, const d4j_attn_shape* s, int backward, int threads,
                              float** scratch, size_t* bytes) {
    int64_t floats = threads * d4j_attn_thread_floats(s, backward) + d4j_attn_shared_floats(s, backward);
    *bytes = d4j_alloc_round((size_t)floats * sizeof(float));
    return d4j_alloc(fn, &ctx->alloc, *bytes, (void**)scratch);
}

d4j_status d4j_attention_forward(d4j_ctx* ctx, d4j_tensor* out, d4j_tensor* lse, const d4j_tensor* qkv, int32_t heads) {
    static const char* fn = "d4j_attention_forward";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "out", out, ctx));
    D4J_TRY(d4j_check_output(fn, "lse", lse, ctx));
    D4J_TRY(d4j_check_tensor(fn, "qkv", qkv, ctx));
    d4j_attn_shape s;
    D4J_TRY(attn_shape(fn, &s, qkv, heads));
    D4J_TRY(check_like_out(fn, "out", out, qkv, &s));
    D4J_TRY(check_lse(fn, lse, &s));
    if (out == lse) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "out and lse must be distinct");
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_attention_forward(fn, ctx->ordinal, ctx->stream, out->data, lse->data, qkv->data, &s));
    int threads = omp_get_max_threads();
    float* scratch = NULL;
    size_t bytes = 0;
    D4J_TRY(cpu_scratch(fn, ctx, &s, 0, threads, &scratch, &bytes));
    D4J_CPU_DISPATCH(attention_forward)(out->data, lse->data, qkv->data, &s, scratch, threads);
    d4j_release(&ctx->alloc, scratch, bytes);
    return D4J_OK;
}

d4j_status d4j_attention_backward(d4j_ctx* ctx, d4j_tensor* dqkv, const d4j_tensor* dout, const d4j_tensor* qkv,
                                  const d4j_tensor* out, const d4j_tensor* lse, int32_t heads) {
    static const char* fn = "d4j_attention_backward";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "dqkv", dqkv, ctx));
    D4J_TRY(d4j_check_tensor(fn, "dout", dout, ctx));
    D4J_TRY(d4j_check_tensor(fn, "qkv", qkv, ctx));
    D4J_TRY(d4j_check_tensor(fn, "out", out, ctx));
    D4J_TRY(d4j_check_tensor(fn, "lse", lse, ctx));
    d4j_attn_shape s;
    D4J_TRY(attn_shape(fn, &s, qkv, heads));
    D4J_TRY(d4j_check_same_shape(fn, "dqkv", dqkv, "qkv", qkv));
    D4J_TRY(check_like_out(fn, "dout", dout, qkv, &s));
    D4J_TRY(check_like_out(fn, "out", out, qkv, &s));
    D4J_TRY(check_lse(fn, lse, &s));
    if (dqkv == qkv) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "dqkv must not alias qkv");
    if (ctx->device_type == D4J_DEVICE_CUDA) {
        size_t bytes = d4j_alloc_round((size_t)(s.n * s.heads * s.l) * sizeof(float));
        void* scratch = NULL;
        D4J_TRY(d4j_alloc(fn, &ctx->alloc, bytes, &scratch));
        d4j_status st = D4J_CUDA(fn, d4j_cuda_attention_backward(fn, ctx->ordinal, ctx->stream, dqkv->data, dout->data,
                                                                  qkv->data, out->data, lse->data, &s, (float*)scratch));
        d4j_release(&ctx->alloc, scratch, bytes); /* stream-ordered: the next user queues behind */
        return st;
    }
    int threads = omp_get_max_threads();
    float* scratch = NULL;
    size_t bytes = 0;
    D4J_TRY(cpu_scratch(fn, ctx, &s, 1, threads, &scratch, &bytes));
    D4J_CPU_DISPATCH(attention_backward)(dqkv->data, dout->data, qkv->data, out->data, lse->data, &s, scratch,
                                         threads);
    d4j_release(&ctx->alloc, scratch, bytes);
    return D4J_OK;
}
