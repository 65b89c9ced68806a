/*
 * test_conv2d_bf16.c — the library's bf16 mixed-precision convolutions and
 * linear layers (context precision BF16, through the public API) against the
 * float64 references of conv2d_bf16_cases.h (which states the tolerances and
 * their reasoning), then back to FP32 on the same context. Where the
 * avx512+bf16 build does not run (D4J_CPU_ISA=avx2|generic, or a CPU without
 * AVX512_BF16), it checks that BF16 is refused with D4J_ERR_UNSUPPORTED naming
 * the build and the context keeps FP32, then exits 77 (skipped: the kernels
 * cannot run; test_conv2d_bf16_emulated checks their logic on any CPU).
 */
#include "conv2d_bf16_cases.h"

static void run_api(cfg c, int ho, int wo, float* y, float* dx, float* dw, float* db, const float* x, const float* w,
                    const float* b, const float* dy) {
    int64_t nx = (int64_t)c.n * c.h * c.w * c.cin, nw = (int64_t)c.k * c.k * c.cin * c.cout,
            ny = (int64_t)c.n * ho * wo * c.cout;
    d4j_ctx* ctx;
    CHECK_OK(d4j_ctx_create(&ctx, D4J_DEVICE_CPU, 0));
    CHECK_OK(d4j_ctx_set_precision(ctx, D4J_PRECISION_BF16));
    int64_t sx[4] = {c.n, c.h, c.w, c.cin}, sw[4] = {c.k, c.k, c.cin, c.cout}, sy[4] = {c.n, ho, wo, c.cout},
            sb[1] = {c.cout};
    int64_t lx[2] = {c.n, c.cin}, lw[2] = {c.cin, c.cout}, ly[2] = {c.n, c.cout};
    int nd = c.linear ? 2 : 4;
    d4j_tensor* tx = tensor_of(ctx, c.linear ? lx : sx, nd, x);
    d4j_tensor* tw = tensor_of(ctx, c.linear ? lw : sw, nd, w);
    d4j_tensor* tb = tensor_of(ctx, sb, 1, b);
    d4j_tensor* tdy = tensor_of(ctx, c.linear ? ly : sy, nd, dy);
    d4j_tensor* tdw = tensor_of(ctx, c.linear ? lw : sw, nd, dw);
    d4j_tensor* tdb = tensor_of(ctx, sb, 1, db);
    d4j_tensor* ty = tensor_of(ctx, c.linear ? ly : sy, nd, NULL); /* NaN-poisoned */
    d4j_tensor* tdx = tensor_of(ctx, c.linear ? lx : sx, nd, NULL);
    if (c.linear) {
        CHECK_OK(d4j_linear_forward(ctx, ty, tx, tw, tb));
        CHECK_OK(d4j_linear_backward_data(ctx, tdx, tdy, tw));
        CHECK_OK(d4j_linear_backward_weights(ctx, tdw, tdb, tdy, tx));
    } else {
        CHECK_OK(d4j_conv2d_forward(ctx, ty, tx, tw, tb, c.s, c.p));
        CHECK_OK(d4j_conv2d_backward_data(ctx, tdx, tdy, tw, c.s, c.p));
        CHECK_OK(d4j_conv2d_backward_weights(ctx, tdw, tdb, tdy, tx, c.s, c.p));
    }
    CHECK_OK(d4j_tensor_download(ctx, y, ty, ny));
    CHECK_OK(d4j_tensor_download(ctx, dx, tdx, nx));
    CHECK_OK(d4j_tensor_download(ctx, dw, tdw, nw));
    CHECK_OK(d4j_tensor_download(ctx, db, tdb, c.cout));

    /* Back to FP32: the same context runs the fp32 kernels, whose y differs from the bf16 one by the
     * rounding (≥ 1e-4 relative) and from an fp32 reference by accumulation order only. */
    float* y32 = malloc((size_t)ny * sizeof(float));
    CHECK_OK(d4j_ctx_set_precision(ctx, D4J_PRECISION_FP32));
    if (c.linear) CHECK_OK(d4j_linear_forward(ctx, ty, tx, tw, tb));
    else CHECK_OK(d4j_conv2d_forward(ctx, ty, tx, tw, tb, c.s, c.p));
    CHECK_OK(d4j_tensor_download(ctx, y32, ty, ny));
    double num = 0, den = 0;
    for (int64_t i = 0; i < ny; i++) {
        num += ((double)y32[i] - y[i]) * ((double)y32[i] - y[i]);
        den += (double)y32[i] * y32[i];
    }
    CHECK(sqrt(num / den) > MIN_EXACT, "FP32 after BF16 gave the bf16 result (relative change %.3g)", sqrt(num / den));
    free(y32);
    d4j_tensor_free(tx); d4j_tensor_free(tdx); d4j_tensor_free(tw); d4j_tensor_free(tdw);
    d4j_tensor_free(ty); d4j_tensor_free(tdy); d4j_tensor_free(tb); d4j_tensor_free(tdb);
    d4j_ctx_free(ctx);
}

int main(void) {
    d4j_ctx* ctx;
    CHECK_OK(d4j_ctx_create(&ctx, D4J_DEVICE_CPU, 0));
    d4j_status st = d4j_ctx_set_precision(ctx, D4J_PRECISION_BF16);
    const char* isa = d4j_cpu_isa();
    if (strcmp(isa, "avx512+bf16") != 0) {
        CHECK(st == D4J_ERR_UNSUPPORTED, "BF16 on the %s build -> %s: %s", isa, d4j_status_name(st), d4j_last_error());
        CHECK(strstr(d4j_last_error(), isa) != NULL, "message '%s' lacks the build '%s'", d4j_last_error(), isa);
        int32_t p = -1;
        CHECK_OK(d4j_ctx_precision(&p, ctx));
        CHECK(p == D4J_PRECISION_FP32, "precision %d after the refusal", p);
        d4j_ctx_free(ctx);
        if (failures) return finish("test_conv2d_bf16");
        printf("test_conv2d_bf16: skipped: this CPU runs the %s build, which has no bf16 kernels (BF16 refused, as "
               "it must be: %d checks passed)\n", isa, checks);
        return 77;
    }
    CHECK_OK(st);
    d4j_ctx_free(ctx);
    const char* forced = getenv("D4J_CPU_ISA");
    if (forced && strcmp(forced, "avx512") == 0) CHECK(d4j_cpu_amx() == 0, "D4J_CPU_ISA=avx512 left AMX on");
    const char* unit = d4j_cpu_amx() ? "bf16 on AMX tiles" : "bf16 on VDPBF16PS";
    printf("test_conv2d_bf16: %s\n", unit);
    for (int i = 0; i < BF16_CASES; i++) check_case(bf16_cases[i], run_api, unit);
    return finish("test_conv2d_bf16");
}
