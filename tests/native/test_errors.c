/*
 * test_errors.c — bad input gives a status and a message naming the value,
 * never a crash: NULL and freed handles, bad shapes and sizes, timesteps out
 * of range, devices that do not exist.
 */
#include <string.h>

#include "check.h"

int main(void) {
    d4j_ctx* ctx = NULL;
    d4j_tensor* t = NULL;
    float buf[16] = {0};

    /* devices */
    CHECK_FAILS(D4J_ERR_NO_DEVICE, "CUDA device 99 does not exist", d4j_ctx_create(&ctx, D4J_DEVICE_CUDA, 99));
    CHECK(ctx == NULL, "out must stay NULL on failure");
    CHECK_FAILS(D4J_ERR_NO_DEVICE, "CUDA device -1", d4j_ctx_create(&ctx, D4J_DEVICE_CUDA, -1));
    CHECK_FAILS(D4J_ERR_NO_DEVICE, "CPU device 1", d4j_ctx_create(&ctx, D4J_DEVICE_CPU, 1));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "device type 7", d4j_ctx_create(&ctx, 7, 0));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "out is NULL", d4j_ctx_create(NULL, D4J_DEVICE_CPU, 0));
    char name[64];
    int64_t mem;
    CHECK_FAILS(D4J_ERR_NO_DEVICE, "CUDA device 42", d4j_cuda_device_info(name, &mem, 42, sizeof name));

    /* NULL and freed contexts */
    int64_t shape[4] = {2, 3, 4, 5};
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "context is NULL", d4j_tensor_create(NULL, &t, shape, 4));
    CHECK_OK(d4j_ctx_create(&ctx, D4J_DEVICE_CPU, 0));
    d4j_ctx* dead;
    CHECK_OK(d4j_ctx_create(&dead, D4J_DEVICE_CPU, 0));
    CHECK_OK(d4j_ctx_free(dead));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "not live", d4j_ctx_set_rng(dead, 1, 2));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "not live", d4j_ctx_free(dead));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "not live", d4j_tensor_create(dead, &t, shape, 4));
    void* stream = &stream;
    CHECK_OK(d4j_ctx_cuda_stream(&stream, ctx));
    CHECK(stream == NULL, "a CPU context has no CUDA stream");
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "output pointer is NULL", d4j_ctx_cuda_stream(NULL, ctx));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "not live", d4j_ctx_cuda_stream(&stream, dead));

    /* sizes */
    int64_t negative[2] = {4, -3};
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "dimension 1 is -3", d4j_tensor_create(ctx, &t, negative, 2));
    int64_t zero[1] = {0};
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "dimension 0 is 0", d4j_tensor_create(ctx, &t, zero, 1));
    int64_t huge[4] = {INT64_C(1) << 40, INT64_C(1) << 40, 1, 1};
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "overflows", d4j_tensor_create(ctx, &t, huge, 4));
    int64_t too_big[1] = {INT64_C(1) << 50}; /* 4 PiB: representable, not allocatable */
    CHECK_FAILS(D4J_ERR_OUT_OF_MEMORY, "cannot allocate", d4j_tensor_create(ctx, &t, too_big, 1));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "ndim is 5", d4j_tensor_create(ctx, &t, shape, 5));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "ndim is 0", d4j_tensor_create(ctx, &t, shape, 0));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "shape is NULL", d4j_tensor_create(ctx, &t, NULL, 2));

    /* transfers */
    int64_t four[1] = {4};
    CHECK_OK(d4j_tensor_create(ctx, &t, four, 1));
    CHECK_FAILS(D4J_ERR_SHAPE, "count is 5 but the tensor has 4", d4j_tensor_upload(ctx, t, buf, 5));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "src is NULL", d4j_tensor_upload(ctx, t, NULL, 4));
    CHECK_FAILS(D4J_ERR_SHAPE, "count is -1", d4j_tensor_download(ctx, buf, t, -1));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "std -1", d4j_fill_normal(ctx, t, 0.0f, -1.0f));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "low 2 and high 1", d4j_fill_uniform(ctx, t, 2.0f, 1.0f));
    int64_t cap_shape[1];
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "capacity 0", d4j_tensor_shape(cap_shape, t, 0));

    /* freed tensors and double free */
    d4j_tensor* freed;
    CHECK_OK(d4j_tensor_create(ctx, &freed, four, 1));
    CHECK_OK(d4j_tensor_free(freed));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "not live", d4j_tensor_fill(ctx, freed, 1.0f));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "not live", d4j_tensor_free(freed));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "tensor src is NULL", d4j_tensor_copy(ctx, t, NULL));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "tensor is NULL", d4j_tensor_free(NULL));

    /* q_sample: shapes, timesteps, tables */
    float ab[10], b1[10];
    for (int i = 0; i < 10; i++) { ab[i] = 0.9f; b1[i] = 0.4f; }
    int64_t s2[2] = {2, 8}, s3[2] = {2, 9};
    d4j_tensor *x0, *xt, *eps, *odd;
    CHECK_OK(d4j_tensor_create(ctx, &x0, s2, 2));
    CHECK_OK(d4j_tensor_create(ctx, &xt, s2, 2));
    CHECK_OK(d4j_tensor_create(ctx, &eps, s2, 2));
    CHECK_OK(d4j_tensor_create(ctx, &odd, s3, 2));
    int32_t ok_t[2] = {0, 9}, bad_t[2] = {3, 10}, neg_t[2] = {-1, 0};
    CHECK_OK(d4j_q_sample(ctx, xt, eps, x0, ok_t, ab, b1, 2, 10));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "t[1] is 10", d4j_q_sample(ctx, xt, eps, x0, bad_t, ab, b1, 2, 10));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "t[0] is -1", d4j_q_sample(ctx, xt, eps, x0, neg_t, ab, b1, 2, 10));
    CHECK_FAILS(D4J_ERR_SHAPE, "[2, 9]", d4j_q_sample(ctx, odd, eps, x0, ok_t, ab, b1, 2, 10));
    CHECK_FAILS(D4J_ERR_SHAPE, "batch is 3", d4j_q_sample(ctx, xt, eps, x0, ok_t, ab, b1, 3, 10));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "timesteps is 0", d4j_q_sample(ctx, xt, eps, x0, ok_t, ab, b1, 2, 0));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "distinct", d4j_q_sample(ctx, xt, xt, x0, ok_t, ab, b1, 2, 10));
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "non-NULL", d4j_q_sample(ctx, xt, eps, x0, NULL, ab, b1, 2, 10));
    ab[9] = NAN;
    CHECK_FAILS(D4J_ERR_INVALID_ARGUMENT, "t = 9", d4j_q_sample(ctx, xt, eps, x0, ok_t, ab, b1, 2, 10));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "tensor x_0 is NULL", d4j_q_sample(ctx, xt, eps, NULL, ok_t, ab, b1, 2, 10));

    /* a tensor outliving its context can still be freed, but not used */
    d4j_ctx* ctx2;
    d4j_tensor* orphan;
    CHECK_OK(d4j_ctx_create(&ctx2, D4J_DEVICE_CPU, 0));
    CHECK_OK(d4j_tensor_create(ctx2, &orphan, four, 1));
    CHECK_OK(d4j_ctx_free(ctx2));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "context that was freed", d4j_tensor_fill(ctx, orphan, 1.0f));
    CHECK_OK(d4j_tensor_free(orphan));

    /* caching allocator: a freed block is reused, and counted */
    int64_t in_use, cached;
    d4j_tensor* again;
    CHECK_OK(d4j_tensor_free(x0));
    CHECK_OK(d4j_ctx_memory(&in_use, &cached, ctx));
    CHECK(cached == 512, "cached %lld bytes after freeing a 64-byte tensor, want 512", (long long)cached);
    CHECK_OK(d4j_tensor_create(ctx, &again, s2, 2));
    CHECK_OK(d4j_ctx_memory(&in_use, &cached, ctx));
    CHECK(cached == 0, "the cached block was not reused (%lld cached)", (long long)cached);
    CHECK_OK(d4j_ctx_empty_cache(ctx));

    d4j_tensor_free(again);
    d4j_tensor_free(xt);
    d4j_tensor_free(eps);
    d4j_tensor_free(odd);
    d4j_tensor_free(t);
    CHECK_OK(d4j_ctx_free(ctx));
    return finish("test_errors");
}
