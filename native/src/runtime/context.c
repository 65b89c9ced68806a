/*
 * context.c — d4j_ctx: one device, its stream, the Philox (seed, offset) and
 * the caching allocator. A context is reference-counted by its tensors so a
 * tensor freed after its context (e.g. by Java's Cleaner) is still safe.
 */
#include <stdlib.h>

#include "backend_cuda.h"
#include "internal.h"

d4j_status d4j_check_ctx(const char* fn, const d4j_ctx* ctx) {
    if (!ctx) return d4j_fail(fn, D4J_ERR_INVALID_HANDLE, "context is NULL");
    if (!d4j_handle_live(ctx, D4J_KIND_CTX))
        return d4j_fail(fn, D4J_ERR_INVALID_HANDLE, "context %p is not live (freed or never created)",
                        (const void*)ctx);
    return D4J_OK;
}

d4j_status d4j_ctx_create(d4j_ctx** out, int32_t device_type, int32_t ordinal) {
    static const char* fn = "d4j_ctx_create";
    if (!out) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "out is NULL");
    *out = NULL;
    if (device_type == D4J_DEVICE_CPU) {
        if (ordinal != 0)
            return d4j_fail(fn, D4J_ERR_NO_DEVICE, "CPU device %d does not exist; the CPU is device 0", ordinal);
    } else if (device_type == D4J_DEVICE_CUDA) {
        int count = d4j_cuda_count();
        if (ordinal < 0 || ordinal >= count)
            return d4j_fail(fn, D4J_ERR_NO_DEVICE, "CUDA device %d does not exist (%d CUDA device%s%s)",
                            ordinal, count, count == 1 ? "" : "s",
                            d4j_cuda_is_built() ? "" : "; this library was built without CUDA");
    } else {
        return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "device type %d is neither CPU (0) nor CUDA (1)",
                        device_type);
    }
    d4j_ctx* ctx = calloc(1, sizeof *ctx);
    if (!ctx) return d4j_fail(fn, D4J_ERR_OUT_OF_MEMORY, "cannot allocate a context");
    ctx->device_type = device_type;
    ctx->ordinal = ordinal;
    ctx->refs = 1;
    ctx->alloc.device_type = device_type;
    ctx->alloc.ordinal = ordinal;
    pthread_mutex_init(&ctx->alloc.mutex, NULL);
    if (device_type == D4J_DEVICE_CUDA) {
        d4j_status st = d4j_cuda_stream_create(fn, ordinal, &ctx->stream);
        if (st != D4J_OK) {
            pthread_mutex_destroy(&ctx->alloc.mutex);
            free(ctx);
            return st;
        }
    }
    d4j_status st = d4j_handle_add(fn, ctx, D4J_KIND_CTX);
    if (st != D4J_OK) {
        if (ctx->stream) d4j_cuda_stream_destroy(ordinal, ctx->stream);
        pthread_mutex_destroy(&ctx->alloc.mutex);
        free(ctx);
        return st;
    }
    *out = ctx;
    return D4J_OK;
}

void d4j_ctx_unref(d4j_ctx* ctx) {
    if (__atomic_sub_fetch(&ctx->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
    if (ctx->stream) d4j_cuda_synchronize("d4j_ctx_free", ctx->ordinal, ctx->stream);
    d4j_allocator_empty(&ctx->alloc);
    if (ctx->stream) d4j_cuda_stream_destroy(ctx->ordinal, ctx->stream);
    pthread_mutex_destroy(&ctx->alloc.mutex);
    free(ctx);
}

d4j_status d4j_ctx_free(d4j_ctx* ctx) {
    static const char* fn = "d4j_ctx_free";
    if (!ctx) return d4j_fail(fn, D4J_ERR_INVALID_HANDLE, "context is NULL");
    if (!d4j_handle_remove(ctx, D4J_KIND_CTX))
        return d4j_fail(fn, D4J_ERR_INVALID_HANDLE, "context %p is not live (already freed?)", (void*)ctx);
    __atomic_store_n(&ctx->closed, 1, __ATOMIC_RELEASE);
    d4j_ctx_unref(ctx);
    return D4J_OK;
}

d4j_status d4j_ctx_device(int32_t* device_type, int32_t* ordinal, const d4j_ctx* ctx) {
    static const char* fn = "d4j_ctx_device";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    if (!device_type || !ordinal) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "output pointer is NULL");
    *device_type = ctx->device_type;
    *ordinal = ctx->ordinal;
    return D4J_OK;
}

d4j_status d4j_ctx_set_rng(d4j_ctx* ctx, uint64_t seed, uint64_t offset) {
    D4J_TRY(d4j_check_ctx("d4j_ctx_set_rng", ctx));
    ctx->seed = seed;
    ctx->offset = offset;
    return D4J_OK;
}

d4j_status d4j_ctx_rng(uint64_t* seed, uint64_t* offset, const d4j_ctx* ctx) {
    static const char* fn = "d4j_ctx_rng";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    if (!seed || !offset) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "output pointer is NULL");
    *seed = ctx->seed;
    *offset = ctx->offset;
    return D4J_OK;
}

uint64_t d4j_ctx_take_blocks(d4j_ctx* ctx, uint64_t blocks) {
    uint64_t first = ctx->offset;
    ctx->offset += blocks;
    return first;
}

d4j_status d4j_ctx_synchronize(d4j_ctx* ctx) {
    static const char* fn = "d4j_ctx_synchronize";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    if (ctx->device_type == D4J_DEVICE_CUDA) return d4j_cuda_synchronize(fn, ctx->ordinal, ctx->stream);
    return D4J_OK;
}

d4j_status d4j_ctx_cuda_stream(void** stream, const d4j_ctx* ctx) {
    static const char* fn = "d4j_ctx_cuda_stream";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    if (!stream) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "output pointer is NULL");
    *stream = ctx->device_type == D4J_DEVICE_CUDA ? ctx->stream : NULL;
    return D4J_OK;
}

d4j_status d4j_ctx_memory(int64_t* in_use, int64_t* cached, const d4j_ctx* ctx) {
    static const char* fn = "d4j_ctx_memory";
    D4J_TRY(d4j_check_ctx(fn, ctx));
    if (!in_use || !cached) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "output pointer is NULL");
    d4j_allocator* a = (d4j_allocator*)&ctx->alloc;
    pthread_mutex_lock(&a->mutex);
    *in_use = a->bytes_in_use;
    *cached = a->bytes_cached;
    pthread_mutex_unlock(&a->mutex);
    return D4J_OK;
}

d4j_status d4j_ctx_empty_cache(d4j_ctx* ctx) {
    D4J_TRY(d4j_check_ctx("d4j_ctx_empty_cache", ctx));
    d4j_allocator_empty(&ctx->alloc);
    return D4J_OK;
}
