/*
 * handles.c — the set of live handles (open addressing on the pointer value).
 * Lets every entry point reject a freed or never-created handle with a status
 * instead of reading freed memory. A later allocation at the same address
 * makes an old pointer look live again; the Java layer closes that gap by
 * never passing a closed handle.
 */
#include <stdlib.h>

#include "internal.h"

typedef struct { const void* key; int kind; } slot;

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static slot* slots;
static size_t capacity; /* power of two */
static size_t used;     /* live + tombstones */

#define TOMBSTONE ((const void*)1)

static size_t hash(const void* p, size_t mask) {
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x & mask;
}

static slot* find(const void* key) {
    if (!capacity) return NULL;
    for (size_t i = hash(key, capacity - 1);; i = (i + 1) & (capacity - 1)) {
        if (slots[i].key == key) return &slots[i];
        if (slots[i].key == NULL) return NULL;
    }
}

/* Rehash without tombstones; doubles only when live handles fill a quarter. */
static int grow(void) {
    size_t live_now = 0;
    for (size_t i = 0; i < capacity; i++)
        if (slots[i].key != NULL && slots[i].key != TOMBSTONE) live_now++;
    size_t new_cap = capacity == 0 ? 256 : live_now * 4 >= capacity ? capacity * 2 : capacity;
    slot* fresh = calloc(new_cap, sizeof *fresh);
    if (!fresh) return 0;
    size_t live = 0;
    for (size_t i = 0; i < capacity; i++) {
        const void* k = slots[i].key;
        if (k == NULL || k == TOMBSTONE) continue;
        size_t j = hash(k, new_cap - 1);
        while (fresh[j].key) j = (j + 1) & (new_cap - 1);
        fresh[j] = slots[i];
        live++;
    }
    free(slots);
    slots = fresh;
    capacity = new_cap;
    used = live;
    return 1;
}

d4j_status d4j_handle_add(const char* fn, const void* handle, int kind) {
    pthread_mutex_lock(&mutex);
    if ((used + 1) * 2 > capacity && !grow()) {
        pthread_mutex_unlock(&mutex);
        return d4j_fail(fn, D4J_ERR_OUT_OF_MEMORY, "cannot grow the handle registry");
    }
    size_t i = hash(handle, capacity - 1);
    while (slots[i].key && slots[i].key != TOMBSTONE) i = (i + 1) & (capacity - 1);
    if (slots[i].key == NULL) used++;
    slots[i].key = handle;
    slots[i].kind = kind;
    pthread_mutex_unlock(&mutex);
    return D4J_OK;
}

int d4j_handle_remove(const void* handle, int kind) {
    pthread_mutex_lock(&mutex);
    slot* s = handle ? find(handle) : NULL;
    int ok = s && s->kind == kind;
    if (ok) s->key = TOMBSTONE;
    pthread_mutex_unlock(&mutex);
    return ok;
}

int d4j_handle_live(const void* handle, int kind) {
    if (!handle) return 0;
    pthread_mutex_lock(&mutex);
    slot* s = find(handle);
    int ok = s && s->kind == kind;
    pthread_mutex_unlock(&mutex);
    return ok;
}
