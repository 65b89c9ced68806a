/*
 * test_contexts.c — the cross-context rules of d4j.h on the CPU: an op refuses
 * to write a tensor of another context (naming the tensor and both contexts),
 * for plain outputs, written vectors, statistics, optimizer lists and tensor
 * transfers; reading another live CPU context's tensor (shared weights) works
 * and gives the same answer as a tensor of the op's own context. The CUDA half
 * (reads refused too) is in test_cuda.c.
 */
#include <string.h>

#include "check.h"

#define WRITE_REFUSED "an op writes only tensors of its own context"

int main(void) {
    d4j_ctx *a, *b;
    CHECK_OK(d4j_ctx_create(&a, D4J_DEVICE_CPU, 0));
    CHECK_OK(d4j_ctx_create(&b, D4J_DEVICE_CPU, 0));
    int64_t shape[2] = {4, 6}, vec[1] = {6}, stats[2] = {4, 2};
    float x[24], y[24], got[24];
    test_data(x, 24, 1);
    test_data(y, 24, 2);
    d4j_tensor *xa = tensor_of(a, shape, 2, x), *ya = tensor_of(a, shape, 2, NULL); /* context a's */
    d4j_tensor *xb = tensor_of(b, shape, 2, y), *yb = tensor_of(b, shape, 2, NULL); /* context b's */

    /* a read of a's tensor by an op on b works, and gives what b's own tensor would */
    CHECK_OK(d4j_add(b, yb, xa, xb));
    CHECK_OK(d4j_tensor_download(b, got, yb, 24));
    int exact = 1;
    for (int i = 0; i < 24; i++) exact &= got[i] == x[i] + y[i];
    CHECK(exact, "y = a + b with a from another context differs");
    CHECK_OK(d4j_tensor_copy(b, yb, xa)); /* copy reads src */
    CHECK_OK(d4j_tensor_download(b, got, xa, 24)); /* download reads */
    CHECK(memcmp(got, x, sizeof x) == 0, "download of another context's tensor differs");

    /* a write into a's tensor by an op on b is refused, naming the tensor and both contexts */
    char ctxs[128];
    snprintf(ctxs, sizeof ctxs, "tensor y belongs to context %p but the op runs on context %p (cpu:0)", (void*)a,
             (void*)b);
    CHECK_FAILS(D4J_ERR_DEVICE, ctxs, d4j_add(b, ya, xb, xb));
    CHECK_FAILS(D4J_ERR_DEVICE, WRITE_REFUSED, d4j_add(b, ya, xb, xb));
    CHECK_FAILS(D4J_ERR_DEVICE, "tensor dst belongs to context", d4j_tensor_fill(b, ya, 1.0f));
    CHECK_FAILS(D4J_ERR_DEVICE, "tensor dst belongs to context", d4j_tensor_upload(b, ya, x, 24));
    CHECK_FAILS(D4J_ERR_DEVICE, "tensor dst belongs to context", d4j_tensor_copy(b, ya, xb));
    CHECK_FAILS(D4J_ERR_DEVICE, "tensor dst belongs to context", d4j_fill_normal(b, ya, 0, 1));
    CHECK_FAILS(D4J_ERR_DEVICE, "tensor y belongs to context", d4j_silu_forward(b, ya, xb));
    CHECK_FAILS(D4J_ERR_DEVICE, "tensor dx belongs to context", d4j_silu_backward(b, ya, xb, xb));
    float coef[4] = {1, 2, 3, 4};
    CHECK_FAILS(D4J_ERR_DEVICE, "tensor out belongs to context", d4j_axpby(b, ya, xb, NULL, coef, NULL));
    int64_t ids[4] = {0, 1, 2, 3};
    CHECK_FAILS(D4J_ERR_DEVICE, "tensor out belongs to context", d4j_keyed_noise(b, ya, NULL, 0, 1, 0, 0, ids));
    d4j_step_coefficients c = {.eps_from_out = 1, .coef_eps = 1};
    CHECK_FAILS(D4J_ERR_DEVICE, "tensor x_prev belongs to context",
                d4j_sampler_step(b, ya, xb, xb, NULL, NULL, &c, 0, 0, NULL));
    CHECK_OK(d4j_sampler_step(b, yb, xa, xa, NULL, xa, &c, 0, 0, NULL)); /* reads from a (var_out too) are fine */

    /* written vectors and statistics */
    d4j_tensor *ga = tensor_of(a, vec, 1, NULL), *gb = tensor_of(b, vec, 1, NULL), *bb = tensor_of(b, vec, 1, NULL);
    d4j_tensor *ma = tensor_of(a, stats, 2, NULL), *mb = tensor_of(b, stats, 2, NULL), *rb = tensor_of(b, stats, 2, NULL);
    CHECK_OK(d4j_tensor_fill(b, gb, 1.0f));
    CHECK_OK(d4j_tensor_fill(b, bb, 0.5f));
    CHECK_OK(d4j_tensor_fill(a, ga, 1.0f));
    CHECK_FAILS(D4J_ERR_DEVICE, "tensor mean belongs to context",
                d4j_groupnorm_forward(b, yb, ma, rb, xb, gb, bb, 2, 1e-5f, 0));
    CHECK_OK(d4j_groupnorm_forward(b, yb, mb, rb, xa, ga, bb, 2, 1e-5f, 0)); /* x and gamma from a */
    CHECK_FAILS(D4J_ERR_DEVICE, "tensor dgamma belongs to context",
                d4j_groupnorm_backward(b, yb, ga, bb, xb, xb, mb, rb, gb, bb, 2, 0));
    int64_t wshape[2] = {6, 6};
    d4j_tensor *wb = tensor_of(b, wshape, 2, NULL);
    CHECK_OK(d4j_tensor_fill(b, wb, 0.0f));
    CHECK_FAILS(D4J_ERR_DEVICE, "tensor dbias belongs to context", d4j_linear_backward_weights(b, wb, ga, xb, xb));

    /* optimizer lists: the lists an op writes */
    d4j_tensor *pa[1] = {xa}, *pb[1] = {xb}, *eb[1] = {yb}, *ea[1] = {ya};
    CHECK_FAILS(D4J_ERR_DEVICE, "tensor ema[0] belongs to context", d4j_ema_update(b, ea, pb, 1, 0.9f));
    CHECK_OK(d4j_ema_update(b, eb, pa, 1, 0.9f)); /* params read from a */
    int64_t one[1] = {1};
    d4j_tensor* nb = tensor_of(b, one, 1, NULL);
    CHECK_FAILS(D4J_ERR_DEVICE, "tensor grads[0] belongs to context", d4j_clip_grad_norm(b, nb, pa, 1, 1.0f));

    /* a freed context's tensors are refused even for reads */
    CHECK_OK(d4j_ctx_free(a));
    CHECK_FAILS(D4J_ERR_INVALID_HANDLE, "tensor a belongs to a context that was freed", d4j_add(b, yb, xa, xb));
    d4j_tensor* all[] = {xa, ya, xb, yb, ga, gb, bb, ma, mb, rb, wb, nb};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) d4j_tensor_free(all[i]);
    CHECK_OK(d4j_ctx_free(b));
    return finish("test_contexts");
}
