/* axpby.h — kernel contract of the per-sample linear combination out = a[n]·x + b[n]·y (d4j_axpby in d4j.h). */
#ifndef D4J_AXPBY_H
#define D4J_AXPBY_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"
#include "hd.h"

/* One element: a·x + b·y rounded once after the product b·y, or a·x when there is no y. */
D4J_HD float d4j_axpby_element(float x, float y, float a, float b, int has_y) {
    return has_y ? fmaf(a, x, D4J_MUL(b, y)) : D4J_MUL(a, x);
}

/* out, x, y (or NULL): batch samples of per_sample elements; a, b: batch host coefficients
 * (b unread when y is NULL). out may be x or y. */
D4J_CPU_DECLARE(void, axpby, (float* out, const float* x, const float* y, const float* a, const float* b,
                              int64_t batch, int64_t per_sample))

#ifdef __cplusplus
extern "C" {
#endif
d4j_status d4j_cuda_axpby(const char* fn, int ordinal, void* stream, float* out, const float* x, const float* y,
                          const float* a, const float* b, int64_t batch, int64_t per_sample);
#ifdef __cplusplus
}
#endif

#endif /* D4J_AXPBY_H */
