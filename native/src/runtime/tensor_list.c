/* tensor_list.c — checks the tensor lists of the multi-tensor optimizer ops and packs them into launch tables. */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "tensor_list.h"

d4j_status d4j_check_tensor_list(const char* fn, const char* name, d4j_tensor* const* list, int32_t count,
                                 const d4j_ctx* ctx, d4j_tensor* const* like, const char* like_name, int written) {
    if (!list) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "%s is NULL", name);
    for (int32_t i = 0; i < count; i++) {
        char label[64];
        snprintf(label, sizeof label, "%s[%d]", name, i);
        D4J_TRY(written ? d4j_check_output(fn, label, list[i], ctx) : d4j_check_tensor(fn, label, list[i], ctx));
        if (like) {
            char other[64];
            snprintf(other, sizeof other, "%s[%d]", like_name, i);
            D4J_TRY(d4j_check_same_shape(fn, label, list[i], other, like[i]));
        }
    }
    return D4J_OK;
}

typedef struct place {
    const void* data;
    int list;
    int32_t index;
} place;

static int by_data(const void* a, const void* b) {
    const place *x = a, *y = b;
    if (x->data != y->data) return (uintptr_t)x->data < (uintptr_t)y->data ? -1 : 1;
    if (x->list != y->list) return x->list - y->list;
    return x->index < y->index ? -1 : x->index > y->index;
}

d4j_status d4j_check_distinct(const char* fn, int nlists, d4j_tensor* const* const* lists, const char* const* names,
                              const int* written, int32_t count) {
    size_t n = (size_t)nlists * (size_t)count;
    place* all = malloc(n * sizeof(place));
    if (!all) return d4j_fail(fn, D4J_ERR_OUT_OF_MEMORY, "cannot allocate %zu bytes to check %d tensors", n * sizeof(place), count);
    for (int l = 0; l < nlists; l++)
        for (int32_t i = 0; i < count; i++) all[(size_t)l * count + i] = (place){lists[l][i]->data, l, i};
    qsort(all, n, sizeof(place), by_data);
    d4j_status st = D4J_OK;
    for (size_t a = 0; a < n && st == D4J_OK;) { /* a run of places holding the same memory */
        size_t b = a + 1, w = written[all[a].list] ? a : n;
        for (; b < n && all[b].data == all[a].data; b++)
            if (w == n && written[all[b].list]) w = b;
        if (b - a > 1 && w < n) { /* name the first place and the first written one after it */
            const place *p = &all[a], *q = &all[w == a ? a + 1 : w];
            st = d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT,
                          "%s[%d] and %s[%d] are the same tensor; the tensors this op writes must be distinct",
                          names[p->list], p->index, names[q->list], q->index);
        }
        a = b;
    }
    free(all);
    return st;
}

int32_t d4j_table_fill(d4j_tensor_table* t, int nlists, d4j_tensor* const* const* lists, int32_t first, int32_t count) {
    int32_t i = first;
    t->count = 0;
    t->start[0] = 0;
    for (; i < count && t->count < D4J_TABLE_TENSORS; i++, t->count++) {
        for (int l = 0; l < nlists; l++) t->data[l][t->count] = lists[l][i]->data;
        t->start[t->count + 1] = t->start[t->count] + lists[0][i]->numel;
    }
    return i;
}
