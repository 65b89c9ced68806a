/* tensor_list.c — checks the tensor lists of the multi-tensor optimizer ops. */
#include <stdio.h>

#include "internal.h"
#include "optimizer.h"

d4j_status d4j_check_tensor_list(const char* fn, const char* name, d4j_tensor* const* list, int32_t count,
                                 const d4j_ctx* ctx, d4j_tensor* const* like, const char* like_name) {
    if (!list) return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "%s is NULL", name);
    for (int32_t i = 0; i < count; i++) {
        char label[64];
        snprintf(label, sizeof label, "%s[%d]", name, i);
        D4J_TRY(d4j_check_tensor(fn, label, list[i], ctx));
        if (like) {
            char other[64];
            snprintf(other, sizeof other, "%s[%d]", like_name, i);
            D4J_TRY(d4j_check_same_shape(fn, label, list[i], other, like[i]));
            if (list[i] == like[i])
                return d4j_fail(fn, D4J_ERR_INVALID_ARGUMENT, "%s and %s are the same tensor", label, other);
        }
    }
    return D4J_OK;
}
