/*
 * keyed_noise.h — kernel contract of the per-sample keyed noise (d4j_keyed_noise
 * in d4j.h): out = a·x + b·z, z keyed by (key, stream, sample id) as core/philox.h
 * defines. The sampler step draws its z the same way, with the same function.
 */
#ifndef D4J_KEYED_NOISE_H
#define D4J_KEYED_NOISE_H

#include "../runtime/backend_cpu.h"
#include "d4j.h"
#include "hd.h"

/* One element: a·x + b·z, or b·z when there is no x. */
D4J_HD float d4j_keyed_noise_element(float x, float z, float a, float b, int has_x) {
    return has_x ? fmaf(a, x, D4J_MUL(b, z)) : D4J_MUL(b, z);
}

/* out, x (or NULL): batch samples of per_sample elements; ids: batch host ids. */
D4J_CPU_DECLARE(void, keyed_noise, (float* out, const float* x, float a, float b, int64_t batch, int64_t per_sample,
                                    uint64_t key, uint32_t noise_stream, const int64_t* ids))

#ifdef __cplusplus
extern "C" {
#endif
d4j_status d4j_cuda_keyed_noise(const char* fn, int ordinal, void* stream, float* out, const float* x, float a,
                                float b, int64_t batch, int64_t per_sample, uint64_t key, uint32_t noise_stream,
                                const int64_t* ids);
/* Front-door check shared with the sampler step: ids non-NULL and t's samples (dimension 0)
 * at most D4J_KEYED_MAX_BLOCKS blocks each. */
d4j_status d4j_check_keyed_ids(const char* fn, const char* name, const d4j_tensor* t, const int64_t* ids);
#ifdef __cplusplus
}
#endif

#endif /* D4J_KEYED_NOISE_H */
