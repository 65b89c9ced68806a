/*
 * tensor.c — float32 tensors of 1 to 4 dims on a context's device: create,
 * free, shape queries, host transfers, fill and copy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/copy.h"
#include "../core/fill.h"
#include "backend_cuda.h"
#include "internal.h"

const char* d4j_shape_str(char* buf, size_t cap, const int64_t* shape, int32_t ndim) {
    size_t n = (size_t)snprintf(buf, cap, "[");
    for (int32_t i = 0; i < ndim && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, i ? ", %lld" : "%lld", (long long)shape[i]);
    if (n < cap) snprintf(buf + n, cap - n, "]");
    return buf;
}

static const char* device_name(int type) { return type == D4J_DEVICE_CUDA ? "cuda" : "cpu"; }

/* Live tensor on ctx's device; a written one must belong to ctx, and on CUDA a read one too. */
static d4j_status check_access(const char* fn, const char* name, const d4j_tensor* t, const d4j_ctx* ctx,
                               int written) {
    if (!t) return d4j_fail(fn, D4J_ERR_INVALID_HANDLE, "tensor %s is NULL", name);
    if (!d4j_handle_live(t, D4J_KIND_TENSOR))
        return d4j_fail(fn, D4J_ERR_INVALID_HANDLE, "tensor %s (%p) is not live (freed or never created)",
                        name, (const void*)t);
    if (__atomic_load_n(&t->ctx->closed, __ATOMIC_ACQUIRE))
        return d4j_fail(fn, D4J_ERR_INVALID_HANDLE, "tensor %s belongs to a context that was freed", name);
    if (ctx && (t->ctx->device_type != ctx->device_type || t->ctx->ordinal != ctx->ordinal))
        return d4j_fail(fn, D4J_ERR_DEVICE, "tensor %s is on %s:%d but the context is on %s:%d", name,
                        device_name(t->ctx->device_type), t->ctx->ordinal, device_name(ctx->device_type),
                        ctx->ordinal);
    if (ctx && t->ctx != ctx && (written || ctx->device_type == D4J_DEVICE_CUDA))
        return d4j_fail(fn, D4J_ERR_DEVICE,
                        "tensor %s belongs to context %p but the op runs on context %p (%s:%d); %s", name,
                        (const void*)t->ctx, (const void*)ctx, device_name(ctx->device_type), ctx->ordinal,
                        written ? "an op writes only tensors of its own context"
                                : "on CUDA an op reads only tensors of its own context (each has its own stream)");
    return D4J_OK;
}

d4j_status d4j_check_tensor(const char* fn, const char* name, const d4j_tensor* t, const d4j_ctx* ctx) {
    return check_access(fn, name, t, ctx, 0);
}

d4j_status d4j_check_output(const char* fn, const char* name, const d4j_tensor* t, const d4j_ctx* ctx) {
    return check_access(fn, name, t, ctx, 1);
}

d4j_status d4j_check_same_shape(const char* fn, const char* name_a, const d4j_tensor* a,
                                const char* name_b, const d4j_tensor* b) {
    int same = a->ndim == b->ndim;
    for (int32_t i = 0; same && i < a->ndim; i++) same = a->shape[i] == b->shape[i];
    if (same) return D4J_OK;
    char sa[96], sb[96];
    return d4j_fail(fn, D4J_ERR_SHAPE, "%s has shape %s but %s has shape %s", name_a,
                    d4j_shape_str(sa, sizeof sa, a->shape, a->ndim), name_b,
                    d4j_shape_str(sb, sizeof sb, b->shape, b->ndim));
}

d4j_status d4j_check_vector(const char* fn, const char* name, const d4j_tensor* t, const d4j_ctx* ctx, int64_t len,
                            int written) {
    D4J_TRY(check_access(fn, name, t, ctx, written));
    if (t->ndim != 1 || t->shape[0] != len) {
        char b[96];
        return d4j_fail(fn, D4J_ERR_SHAPE, "%s has shape %s but must be [%lld]", name,
                        d4j_shape_str(b, sizeof b, t->shape, t->ndim), (long long)len);
    }
    return D4J_OK;
}

d4j_status d4j_no_scratch(const char* fn) {
    return d4j_fail(fn, D4J_ERR_OUT_OF_MEMORY, "cannot allocate scratch memory");
}

d4j_status d4j_tensor_create(d4j_ctx* ctx, d4j_tensor** out, const int64_t* shape, int32_t ndim) {
    static const char* fn = "d4j_tensor_create";
    if (!out) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "out is NULL");
    *out = NULL;
    D4J_TRY(d4j_check_ctx(fn, ctx));
    if (ndim < 1 || ndim > D4J_MAX_DIMS)
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "ndim is %d; it must be 1 to %d", ndim, D4J_MAX_DIMS);
    if (!shape) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "shape is NULL");
    /* numel * 4 bytes must fit comfortably in int64 and size_t */
    const int64_t max_numel = INT64_C(1) << 60;
    int64_t numel = 1;
    for (int32_t i = 0; i < ndim; i++) {
        if (shape[i] < 1)
            return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "dimension %d is %lld; every dimension must be >= 1",
                            i, (long long)shape[i]);
        if (shape[i] > max_numel / numel) {
            char s[160];
            return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "shape %s overflows: more than 2^60 elements",
                            d4j_shape_str(s, sizeof s, shape, ndim));
        }
        numel *= shape[i];
    }
    d4j_tensor* t = calloc(1, sizeof *t);
    if (!t) return d4j_fail(fn, D4J_ERR_OUT_OF_MEMORY, "cannot allocate a tensor handle");
    t->ndim = ndim;
    memcpy(t->shape, shape, (size_t)ndim * sizeof(int64_t));
    t->numel = numel;
    t->bytes = d4j_alloc_round((size_t)numel * sizeof(float));
    void* data = NULL;
    d4j_status st = d4j_alloc(fn, &ctx->alloc, t->bytes, &data);
    if (st != D4J_OK) {
        free(t);
        return st;
    }
    t->data = data;
    t->ctx = ctx;
    st = d4j_handle_add(fn, t, D4J_KIND_TENSOR);
    if (st != D4J_OK) {
        d4j_release(&ctx->alloc, data, t->bytes);
        free(t);
        return st;
    }
    __atomic_add_fetch(&ctx->refs, 1, __ATOMIC_ACQ_REL);
    *out = t;
    return D4J_OK;
}

d4j_status d4j_tensor_free(d4j_tensor* t) {
    static const char* fn = "d4j_tensor_free";
    if (!t) return d4j_fail(fn, D4J_ERR_INVALID_HANDLE, "tensor is NULL");
    if (!d4j_handle_remove(t, D4J_KIND_TENSOR))
        return d4j_fail(fn, D4J_ERR_INVALID_HANDLE, "tensor %p is not live (already freed?)", (void*)t);
    d4j_ctx* ctx = t->ctx;
    d4j_release(&ctx->alloc, t->data, t->bytes);
    free(t);
    d4j_ctx_unref(ctx);
    return D4J_OK;
}

d4j_status d4j_tensor_ndim(int32_t* ndim, const d4j_tensor* t) {
    static const char* fn = "d4j_tensor_ndim";
    if (!ndim) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "ndim is NULL");
    D4J_TRY(d4j_check_tensor(fn, "tensor", t, NULL));
    *ndim = t->ndim;
    return D4J_OK;
}

d4j_status d4j_tensor_shape(int64_t* shape, const d4j_tensor* t, int32_t capacity) {
    static const char* fn = "d4j_tensor_shape";
    if (!shape) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "shape is NULL");
    D4J_TRY(d4j_check_tensor(fn, "tensor", t, NULL));
    if (capacity < t->ndim)
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "capacity %d is less than ndim %d", capacity, t->ndim);
    memcpy(shape, t->shape, (size_t)t->ndim * sizeof(int64_t));
    return D4J_OK;
}

d4j_status d4j_tensor_numel(int64_t* numel, const d4j_tensor* t) {
    static const char* fn = "d4j_tensor_numel";
    if (!numel) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "numel is NULL");
    D4J_TRY(d4j_check_tensor(fn, "tensor", t, NULL));
    *numel = t->numel;
    return D4J_OK;
}

static d4j_status check_count(const char* fn, const d4j_tensor* t, int64_t count) {
    if (count != t->numel)
        return d4j_fail(fn, D4J_ERR_SHAPE, "count is %lld but the tensor has %lld elements", (long long)count,
                        (long long)t->numel);
    return D4J_OK;
}

d4j_status d4j_tensor_upload(d4j_ctx* ctx, d4j_tensor* dst, const float* src, int64_t count) {
    static const char* fn = "d4j_tensor_upload";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "dst", dst, ctx));
    if (!src) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "src is NULL");
    D4J_TRY(check_count(fn, dst, count));
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return d4j_cuda_upload(fn, ctx->ordinal, ctx->stream, dst->data, src, count);
    D4J_CPU_DISPATCH(copy)(dst->data, src, count);
    return D4J_OK;
}

d4j_status d4j_tensor_download(d4j_ctx* ctx, float* dst, const d4j_tensor* src, int64_t count) {
    static const char* fn = "d4j_tensor_download";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_tensor(fn, "src", src, ctx));
    if (!dst) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "dst is NULL");
    D4J_TRY(check_count(fn, src, count));
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return d4j_cuda_download(fn, ctx->ordinal, ctx->stream, dst, src->data, count);
    D4J_CPU_DISPATCH(copy)(dst, src->data, count);
    return D4J_OK;
}

d4j_status d4j_tensor_fill(d4j_ctx* ctx, d4j_tensor* dst, float value) {
    static const char* fn = "d4j_tensor_fill";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "dst", dst, ctx));
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return D4J_CUDA(fn, d4j_cuda_fill(fn, ctx->ordinal, ctx->stream, dst->data, dst->numel, value));
    D4J_CPU_DISPATCH(fill)(dst->data, dst->numel, value);
    return D4J_OK;
}

d4j_status d4j_tensor_copy(d4j_ctx* ctx, d4j_tensor* dst, const d4j_tensor* src) {
    static const char* fn = "d4j_tensor_copy";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "dst", dst, ctx));
    D4J_TRY(d4j_check_tensor(fn, "src", src, ctx));
    if (dst->numel != src->numel)
        return d4j_fail(fn, D4J_ERR_SHAPE, "dst has %lld elements but src has %lld", (long long)dst->numel,
                        (long long)src->numel);
    if (dst == src) return D4J_OK;
    if (ctx->device_type == D4J_DEVICE_CUDA)
        return d4j_cuda_copy(fn, ctx->ordinal, ctx->stream, dst->data, src->data, dst->numel);
    D4J_CPU_DISPATCH(copy)(dst->data, src->data, dst->numel);
    return D4J_OK;
}

d4j_status d4j_tensor_copy_samples(d4j_ctx* ctx, d4j_tensor* dst, int64_t dst_first, const d4j_tensor* src,
                                   int64_t src_first, int64_t count) {
    static const char* fn = "d4j_tensor_copy_samples";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    D4J_TRY(d4j_check_output(fn, "dst", dst, ctx));
    D4J_TRY(d4j_check_tensor(fn, "src", src, ctx));
    if (dst == src) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "dst must not be src");
    if (dst->ndim < 1 || src->ndim < 1)
        return d4j_fail(fn, D4J_ERR_SHAPE, "dst and src need a sample dimension (ndim %d, %d)", dst->ndim, src->ndim);
    char b1[96], b2[96];
    int same = dst->ndim == src->ndim;
    for (int i = 1; same && i < dst->ndim; i++) same = dst->shape[i] == src->shape[i];
    if (!same)
        return d4j_fail(fn, D4J_ERR_SHAPE, "dst %s and src %s differ past the first dimension",
                        d4j_shape_str(b1, sizeof b1, dst->shape, dst->ndim),
                        d4j_shape_str(b2, sizeof b2, src->shape, src->ndim));
    if (count < 0 || dst_first < 0 || src_first < 0 || dst_first > dst->shape[0] - count ||
        src_first > src->shape[0] - count)
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT,
                        "samples [%lld, +%lld) of src (%lld) into [%lld, +%lld) of dst (%lld) are out of range",
                        (long long)src_first, (long long)count, (long long)src->shape[0], (long long)dst_first,
                        (long long)count, (long long)dst->shape[0]);
    if (count == 0) return D4J_OK; /* before the division: dimension 0 may be 0 */
    int64_t per = dst->numel / dst->shape[0];
    float* d = dst->data + dst_first * per;
    const float* s = src->data + src_first * per;
    if (ctx->device_type == D4J_DEVICE_CUDA) return d4j_cuda_copy(fn, ctx->ordinal, ctx->stream, d, s, count * per);
    D4J_CPU_DISPATCH(copy)(d, s, count * per);
    return D4J_OK;
}
