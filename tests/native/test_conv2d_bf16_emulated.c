/*
 * test_conv2d_bf16_emulated.c — the bf16 convolution kernels of
 * native/src/cpu/conv2d_bf16.c compiled into this test with the AVX-512 BF16
 * intrinsics written in software (bf16_emulation.h, after Intel's pseudo-code),
 * so their indexing, channel and pixel pairing, odd-count padding, weight
 * packing, stride groups and thread partition are checked on any CPU against
 * the float64 references of conv2d_bf16_cases.h. It says nothing about the
 * real instructions (test_conv2d_bf16 checks those where the CPU has them) and
 * nothing of it is in the library.
 */
#define D4J_CPU_SUFFIX emulated
#define D4J_BF16_EMULATION "../../../tests/native/bf16_emulation.h" /* relative to native/src/cpu */
#include "../../native/src/cpu/conv2d_bf16.c"

#include "conv2d_bf16_cases.h"

static void run_kernels(cfg c, int ho, int wo, float* y, float* dx, float* dw, float* db, const float* x,
                        const float* w, const float* b, const float* dy) {
    d4j_conv_shape s = {c.n, c.h, c.w, c.cin, ho, wo, c.cout, c.k, c.s, c.p};
    CHECK(d4j_cpu_conv2d_bf16_forward_emulated(y, x, w, b, &s) == 0, "forward scratch");
    CHECK(d4j_cpu_conv2d_bf16_backward_data_emulated(dx, dy, w, &s) == 0, "backward data scratch");
    CHECK(d4j_cpu_conv2d_bf16_backward_weights_emulated(dw, db, dy, x, &s) == 0, "backward weights scratch");
}

int main(void) {
    for (int i = 0; i < BF16_CASES; i++) check_case(bf16_cases[i], run_kernels, "emulated bf16");
    return finish("test_conv2d_bf16_emulated");
}
