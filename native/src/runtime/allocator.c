/*
 * allocator.c — the context's caching allocator. A freed tensor's block goes
 * to a cache keyed by its rounded size and is handed to the next tensor of
 * that size, so steady-state loops call no malloc/cudaMalloc. Sizes round to
 * 512 B below 1 MiB and to 2 MiB above, as PyTorch's caching allocator does.
 */
#include <stdlib.h>

#include "backend_cuda.h"
#include "internal.h"

#define SMALL_LIMIT ((size_t)1 << 20)
#define SMALL_ROUND ((size_t)512)
#define LARGE_ROUND ((size_t)2 << 20)

size_t d4j_alloc_round(size_t bytes) {
    size_t r = bytes < SMALL_LIMIT ? SMALL_ROUND : LARGE_ROUND;
    return (bytes + r - 1) / r * r;
}

static d4j_status raw_alloc(const char* fn, d4j_allocator* a, size_t bytes, void** out) {
    if (a->device_type == D4J_DEVICE_CUDA) return d4j_cuda_malloc(fn, a->ordinal, bytes, out);
    void* p = NULL;
    if (posix_memalign(&p, 64, bytes) != 0 || !p)
        return d4j_fail(fn, D4J_ERR_OUT_OF_MEMORY, "cannot allocate %zu bytes of host memory", bytes);
    *out = p;
    return D4J_OK;
}

static void raw_free(d4j_allocator* a, void* p) {
    if (a->device_type == D4J_DEVICE_CUDA) d4j_cuda_free(a->ordinal, p);
    else free(p);
}

d4j_status d4j_alloc(const char* fn, d4j_allocator* a, size_t bytes, void** out) {
    pthread_mutex_lock(&a->mutex);
    for (d4j_block** link = &a->cached; *link; link = &(*link)->next) {
        d4j_block* b = *link;
        if (b->bytes != bytes) continue;
        *link = b->next;
        *out = b->ptr;
        a->bytes_cached -= (int64_t)bytes;
        a->bytes_in_use += (int64_t)bytes;
        pthread_mutex_unlock(&a->mutex);
        free(b);
        return D4J_OK;
    }
    pthread_mutex_unlock(&a->mutex);
    d4j_status st = raw_alloc(fn, a, bytes, out);
    if (st == D4J_ERR_OUT_OF_MEMORY) { /* give the cache back and try once more */
        d4j_allocator_empty(a);
        st = raw_alloc(fn, a, bytes, out);
    }
    if (st != D4J_OK) return st;
    pthread_mutex_lock(&a->mutex);
    a->bytes_in_use += (int64_t)bytes;
    pthread_mutex_unlock(&a->mutex);
    return D4J_OK;
}

void d4j_release(d4j_allocator* a, void* ptr, size_t bytes) {
    d4j_block* b = malloc(sizeof *b);
    pthread_mutex_lock(&a->mutex);
    a->bytes_in_use -= (int64_t)bytes;
    if (b) {
        b->ptr = ptr;
        b->bytes = bytes;
        b->next = a->cached;
        a->cached = b;
        a->bytes_cached += (int64_t)bytes;
    }
    pthread_mutex_unlock(&a->mutex);
    if (!b) raw_free(a, ptr); /* no room to remember it: return it now */
}

void d4j_allocator_empty(d4j_allocator* a) {
    pthread_mutex_lock(&a->mutex);
    d4j_block* list = a->cached;
    a->cached = NULL;
    a->bytes_cached = 0;
    pthread_mutex_unlock(&a->mutex);
    while (list) {
        d4j_block* next = list->next;
        raw_free(a, list->ptr);
        free(list);
        list = next;
    }
}
