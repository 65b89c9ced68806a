/*
 * internal.h — the structs behind the opaque handles, and the checks every
 * public entry point runs on them before touching memory.
 */
#ifndef D4J_INTERNAL_H
#define D4J_INTERNAL_H

#include <pthread.h>

#include "d4j.h"
#include "error.h"

/* ---- live-handle registry: a freed or foreign pointer is detected, not dereferenced */

enum { D4J_KIND_CTX = 1, D4J_KIND_TENSOR = 2 };

d4j_status d4j_handle_add(const char* fn, const void* handle, int kind);
/* Removes the handle; returns 0 if it was not live with that kind. */
int d4j_handle_remove(const void* handle, int kind);
int d4j_handle_live(const void* handle, int kind);

/* ---- caching allocator: freed blocks are kept per rounded size for reuse */

typedef struct d4j_block {
    void* ptr;
    size_t bytes;
    struct d4j_block* next;
} d4j_block;

typedef struct d4j_allocator {
    pthread_mutex_t mutex; /* tensors may be freed from another thread (Java's Cleaner) */
    int device_type;
    int ordinal;
    d4j_block* cached;
    int64_t bytes_in_use;
    int64_t bytes_cached;
} d4j_allocator;

size_t d4j_alloc_round(size_t bytes);
d4j_status d4j_alloc(const char* fn, d4j_allocator* a, size_t bytes, void** out);
void d4j_release(d4j_allocator* a, void* ptr, size_t bytes);
void d4j_allocator_empty(d4j_allocator* a);

/* ---- context ---------------------------------------------------------------- */

struct d4j_ctx {
    int device_type;
    int ordinal;
    void* stream; /* cudaStream_t, NULL on the CPU */
    uint64_t seed;
    uint64_t offset;
    d4j_allocator alloc;
    int conv_algo; /* D4J_CONV_* */
    int precision; /* D4J_PRECISION_* */
    int refs;   /* 1 for the user's handle + 1 per live tensor; atomic */
    int closed; /* d4j_ctx_free was called */
};

/* Drops one reference; the struct and its memory go when none remain. */
void d4j_ctx_unref(d4j_ctx* ctx);
/* ctx is live (not freed). */
d4j_status d4j_check_ctx(const char* fn, const d4j_ctx* ctx);
/* Reserves `blocks` Philox blocks from ctx's stream; returns the first. */
uint64_t d4j_ctx_take_blocks(d4j_ctx* ctx, uint64_t blocks);

/* ---- tensor ----------------------------------------------------------------- */

struct d4j_tensor {
    d4j_ctx* ctx; /* owner: the device and allocator the data came from */
    int32_t ndim;
    int64_t shape[D4J_MAX_DIMS];
    int64_t numel;
    size_t bytes;
    float* data;
};

/* A tensor an op reads: live, its context open, on ctx's device; on CUDA it must belong to ctx
 * (contexts have their own streams), on the CPU it may belong to another context (ops are
 * synchronous). `name` is the argument's name for the message. */
d4j_status d4j_check_tensor(const char* fn, const char* name, const d4j_tensor* t, const d4j_ctx* ctx);
/* A tensor an op writes: as d4j_check_tensor, and it must belong to ctx on every device. */
d4j_status d4j_check_output(const char* fn, const char* name, const d4j_tensor* t, const d4j_ctx* ctx);
/* Same shape (ndim and extents). */
d4j_status d4j_check_same_shape(const char* fn, const char* name_a, const d4j_tensor* a,
                                const char* name_b, const d4j_tensor* b);
/* 1-D tensor of `len` elements (bias, gamma, ...), read or written (the rules above). */
d4j_status d4j_check_vector(const char* fn, const char* name, const d4j_tensor* t, const d4j_ctx* ctx, int64_t len,
                            int written);
/* The status for a kernel whose scratch memory could not be allocated. */
d4j_status d4j_no_scratch(const char* fn);
/* "[64, 32, 32, 1]" into buf. */
const char* d4j_shape_str(char* buf, size_t cap, const int64_t* shape, int32_t ndim);

#endif /* D4J_INTERNAL_H */
