/*
 * conv2d_amx.c — the bf16 mixed-precision 2-D convolution on Intel AMX tiles
 * (AMX-TILE + AMX-BF16: Sapphire Rapids and later), with the same roundings
 * (x, w, dy to bf16, round to nearest even), the same products (exact in
 * float32) and float32 sums as conv2d_bf16.c; only the summation order differs.
 * TDPBF16PS multiplies a 16 × 32 bf16 tile A by a 16 × 16 tile B of bf16 pairs
 * into a 16 × 16 float32 tile C:
 *   C[i][j] += Σ_{p<16} A[i][2p]·B[p][2j] + A[i][2p+1]·B[p][2j+1]
 * 8192 products per instruction, one instruction per 16 cycles: about 14× the
 * zmm fp32 FMA rate of the same core (a register-resident loop measured 3.4
 * bf16 TFLOP/s on one Xeon core on 2026-12-04). So the products are cheap and
 * the passes that feed them (rounding, gathering taps into rows, the stores)
 * are what these kernels keep short.
 *
 * Two schedules. Stride 1 (forward, backward data, weight gradient) and stride-2
 * backward data run over a zero-padded bf16 copy of each image, where every A
 * tile is one tile load with no gathering (see flat_conv and
 * flat_backward_weights below). Other strides gather: for each block of 32 output
 * rows, A row m holds the bf16 channel vectors of its taps back to back (seg =
 * Cin, or Cout for backward data, rounded up to even; a tap in the padding
 * contributes zeros), padded with zeros to a multiple of 32; backward data takes
 * the residue classes of conv2d.c, each a GEMM over the taps that reach it; the
 * weight gradient computes dWᵀ[tap][co][ci] = Σ_m dy[m][co] · x(m, tap)[ci] per
 * chunk of 256 output pixels (A = dyᵀ, transposed once per chunk; B = pixel pairs'
 * x rows interleaved per tap). B is always the weight matrix packed in 16-column
 * panels of pairs; two A tiles × two B tiles into four C tiles per step of 32.
 * Weight-gradient partials are per thread, float32, kept across images or chunks
 * by tile loads and stores, over fixed ranges of work (thread_split.h), added in
 * thread order and transposed into dW: the same sums every run.
 *
 * Linux gives AMX state only to a process that asked for it
 * (arch_prctl ARCH_REQ_XCOMP_PERM); runtime/cpu_select.c asks once, and the front
 * door (ops/conv2d_bf16.c) takes these kernels only where that was granted. Every
 * thread loads the tile configuration at the start of a parallel region and
 * releases the tiles at its end. Built by the AVX-512 build only.
 */
#if defined(__AVX512BF16__) && defined(__AVX512BW__) && defined(__AVX512VL__)
/* AMX for this file only: the compiler never emits tile instructions of its own, so only the
 * functions below, reached where d4j_cpu_amx() is 1, contain them. */
#pragma GCC target("amx-tile,amx-bf16")
#include <immintrin.h>
#include <string.h>

#include "../core/conv2d_bf16.h"
#include "bf16_round.h"
#include "thread_split.h"

#define TR 16 /* tile rows; also the columns of a C tile */
#define KS 32 /* bf16 in a tile row: one step of the reduction */
#define BM 32 /* GEMM rows per block: two A tiles */
#define MAX_TAPS D4J_CONV_MAX_TAPS
#define CHUNK 256 /* weight gradient: output pixels per chunk (8 steps) */

/* GCC's tile loads are asm statements with the address as a plain register input:
 * this barrier keeps the stores that filled a buffer before the loads that read it. */
#define MEMORY_BARRIER() __asm__ volatile("" ::: "memory")

typedef struct {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} tile_config;

/* Palette 1, all eight tiles 16 rows × 64 bytes: tmm0-3 C, tmm4-5 A, tmm6-7 B. A constant: GCC's
 * _tile_loadconfig tells the compiler it reads only the first 8 bytes, so the stores filling a local
 * configuration could be dropped as dead. */
static const tile_config tiles_16x64 __attribute__((aligned(64))) = {
    .palette = 1,
    .colsb = {64, 64, 64, 64, 64, 64, 64, 64},
    .rows = {TR, TR, TR, TR, TR, TR, TR, TR},
};

static void tiles_on(void) { _tile_loadconfig(&tiles_16x64); }

static int64_t round_up(int64_t a, int64_t b) { return d4j_ceil_div(a, b) * b; }

/* ---- forward and backward data: GEMM over gathered rows ----------------------------- */

/*
 * c[32][32] (row stride 32 floats) = a[32][kp] · panels b0 (columns 0-15) and, when
 * b1 is not NULL, b1 (columns 16-31). A panel is kp/2 rows of 16 pairs: 64 bytes a row.
 */
static void block_gemm(float* c, const bf16* a, int64_t kp, const bf16* b0, const bf16* b1) {
    const long lda = (long)kp * 2;
    _tile_zero(0);
    _tile_zero(2);
    if (b1) {
        _tile_zero(1);
        _tile_zero(3);
    }
    for (int64_t k = 0; k < kp; k += KS) {
        _tile_loadd(4, a + k, lda);
        _tile_loadd(5, a + TR * kp + k, lda);
        _tile_loadd(6, b0 + k * TR, 64); /* pair rows k/2 .. k/2 + 15 */
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(2, 5, 6);
        if (b1) {
            _tile_loadd(7, b1 + k * TR, 64);
            _tile_dpbf16ps(1, 4, 7);
            _tile_dpbf16ps(3, 5, 7);
        }
    }
    _tile_stored(0, c, 128);
    _tile_stored(2, c + TR * 32, 128);
    if (b1) {
        _tile_stored(1, c + TR, 128);
        _tile_stored(3, c + TR * 32 + TR, 128);
    }
}

/* How the rows of one GEMM find their taps' source vectors and their destination row. */
typedef struct {
    const d4j_conv_shape* s;
    const bf16* src; /* rounded x (forward) or dy (backward data), rows of seg bf16 */
    float* dst;      /* y or dx */
    const bf16* zero;
    int64_t seg;
    int taps, backward;
    /* backward data: the residue class (ph, pw) of dx pixels and its taps */
    int ph, pw;
    d4j_conv_residue cls;
} row_plan;

static float* row_sources(const row_plan* r, int64_t m, const bf16** src) {
    const d4j_conv_shape* s = r->s;
    if (!r->backward) {
        int64_t n = m / (s->ho * s->wo), q = m % (s->ho * s->wo), ho = q / s->wo, wo = q % s->wo;
        for (int kh = 0; kh < s->k; kh++)
            for (int kw = 0; kw < s->k; kw++) {
                int64_t hi = ho * s->stride - s->pad + kh, wi = wo * s->stride - s->pad + kw;
                int inside = hi >= 0 && hi < s->h && wi >= 0 && wi < s->w;
                src[kh * s->k + kw] = inside ? r->src + ((n * s->h + hi) * s->w + wi) * r->seg : r->zero;
            }
        return r->dst + m * s->cout;
    }
    const int st = s->stride;
    const d4j_conv_residue* c = &r->cls;
    int64_t n = m / (c->nh * c->nw), q = m % (c->nh * c->nw);
    int64_t h = r->ph + (q / c->nw) * st, wq = r->pw + (q % c->nw) * st;
    for (int t = 0; t < r->taps; t++) {
        int64_t dh = h + s->pad - c->tkh[t], dw = wq + s->pad - c->tkw[t]; /* multiples of st */
        int64_t yo = dh / st, xo = dw / st;
        int inside = dh >= 0 && dw >= 0 && yo < s->ho && xo < s->wo;
        src[t] = inside ? r->src + ((n * s->ho + yo) * s->wo + xo) * r->seg : r->zero;
    }
    return r->dst + ((n * s->h + h) * s->w + wq) * s->cin;
}

/* arow = the taps' vectors back to back, zeros up to kp */
static void gather_row(bf16* arow, const bf16* const* src, int taps, int64_t seg, int64_t kp) {
    for (int t = 0; t < taps; t++) {
        bf16* d = arow + t * seg;
        for (int64_t i = 0; i < seg; i += 32) {
            __mmask32 m = seg - i >= 32 ? 0xFFFFFFFFu : (__mmask32)((1u << (seg - i)) - 1u);
            _mm512_mask_storeu_epi16(d + i, m, _mm512_maskz_loadu_epi16(m, src[t] + i));
        }
    }
    memset(arow + taps * seg, 0, (size_t)(kp - taps * seg) * sizeof(bf16));
}

/* dst row[col0 .. col0 + cols) = c row (+ bias) */
static void store_panel(float* const* dst, int rows, const float* c, int64_t col0, int cols, const float* bias) {
    __mmask16 m = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1u);
    __m512 b = bias ? _mm512_maskz_loadu_ps(m, bias + col0) : _mm512_setzero_ps();
    for (int i = 0; i < rows; i++)
        _mm512_mask_storeu_ps(dst[i] + col0, m, _mm512_add_ps(_mm512_loadu_ps(c + i * 32), b));
}

/* The m_total rows of r against packed B (ncols columns in 16-column panels of kp/2 pair rows). */
static int run_rows(const row_plan* r, int64_t m_total, int64_t kp, const bf16* packed, int64_t ncols,
                    const float* bias) {
    const int64_t panels = d4j_ceil_div(ncols, TR), blocks = d4j_ceil_div(m_total, BM);
    const int threads = d4j_split_threads(m_total * ncols * (kp + 1), blocks);
    bf16* abuf = d4j_bf16_alloc((size_t)threads * BM * (size_t)kp * sizeof(bf16));
    float* cbuf = d4j_bf16_alloc((size_t)threads * BM * 32 * sizeof(float));
    if (!abuf || !cbuf) {
        free(abuf);
        free(cbuf);
        return -1;
    }
#pragma omp parallel num_threads(threads) if (threads > 1)
    {
        const int tid = d4j_thread_num();
        bf16* a = abuf + (size_t)tid * BM * kp;
        float* c = cbuf + (size_t)tid * BM * 32;
        tiles_on();
#pragma omp for schedule(dynamic, 1)
        for (int64_t blk = 0; blk < blocks; blk++) {
            const bf16* src[MAX_TAPS];
            float* dst[BM];
            const int64_t m0 = blk * BM;
            const int rows = (int)(m_total - m0 < BM ? m_total - m0 : BM);
            for (int i = 0; i < BM; i++) {
                if (i < rows) {
                    dst[i] = row_sources(r, m0 + i, src);
                    gather_row(a + i * kp, src, r->taps, r->seg, kp);
                } else { /* rows past the end: zeros, computed and never stored */
                    memset(a + i * kp, 0, (size_t)kp * sizeof(bf16));
                }
            }
            MEMORY_BARRIER();
            for (int64_t j = 0; j < panels; j += 2) {
                const int two = j + 1 < panels;
                block_gemm(c, a, kp, packed + j * kp * TR, two ? packed + (j + 1) * kp * TR : NULL);
                store_panel(dst, rows, c, j * TR, (int)(ncols - j * TR < TR ? ncols - j * TR : TR), bias);
                if (two)
                    store_panel(dst, rows, c + TR, (j + 1) * TR,
                                (int)(ncols - (j + 1) * TR < TR ? ncols - (j + 1) * TR : TR), bias);
            }
        }
        _tile_release();
    }
    free(abuf);
    free(cbuf);
    return 0;
}

/* packed[j][k/2][c][k%2] = v for the bf16 v of B row k, column 16 j + c (the caller zeroed it) */
static inline void pack_at(bf16* packed, int64_t kp, int64_t k, int64_t col, bf16 v) {
    packed[(((col / TR) * (kp / 2) + k / 2) * TR + col % TR) * 2 + k % 2] = v;
}

/* ---- stride 1: GEMM over a padded bf16 copy, no gathering ------------------------------ */

/*
 * With stride 1 the taps need no gathering. Round the input into a zero-padded bf16 copy
 * (Hp = H + 2 pad, Wp = W + 2 pad, channels Cs = Cin rounded up to 32) and number its pixels
 * q = (image·Hp + i)·Wp + j. Output (i, j) of tap row kh reads pixels q + kh·Wp .. q + kh·Wp
 * + k − 1, whose channel vectors lie back to back: k·Cs bf16 (a multiple of 32) from
 * pad_x + (q + kh·Wp)·Cs, and the next output's row starts Cs bf16 later. So every A tile is
 * one tile load with a row stride of Cs, straight from the copy, and B is the weight matrix
 * packed with seg = Cs. Rows q with i ≥ Ho or j ≥ Wo (the padding columns between output
 * rows) are computed and not stored: 13% of the rows on 28×28 maps, 23% on 14×14, 40% on 7×7.
 * The copy may also spread the input out by a factor `up` (up − 1 zero pixels between two input
 * pixels, in both directions): a strided convolution's backward data is the stride-1 convolution
 * of dy spread out by the stride (four times the products for stride 2, three quarters of them by
 * zero, still cheaper here than gathering its taps).
 */
typedef struct {
    int64_t h, w, cin, cout; /* input images h × w × cin, cout output channels */
    int k, pad, up;          /* kernel; zero rows/columns before the first input pixel; spread */
    int64_t hp, wp;          /* the padded copy's size */
    int64_t cs, ho, wo;      /* set by flat_conv: channels in the copy, output size */
} flat_shape;

/* buf = images [0, count) of in, padded and rounded, then `slack` zero pixels */
static void pad_round(bf16* buf, const float* in, int64_t count, const flat_shape* f, int64_t slack, int parallel) {
    const int64_t rows = count * f->hp, rowlen = f->wp * f->cs;
    const int64_t tail = f->pad + (f->w - 1) * f->up + 1; /* first column after the last input pixel */
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t r = 0; r < rows; r++) {
        const int64_t i = r % f->hp - f->pad;
        bf16* d = buf + r * rowlen;
        if (i < 0 || i % f->up || i / f->up >= f->h) {
            memset(d, 0, (size_t)rowlen * sizeof(bf16));
            continue;
        }
        if (f->up > 1) { /* the zeros between pixels: the whole row first */
            memset(d, 0, (size_t)rowlen * sizeof(bf16));
        } else {
            memset(d, 0, (size_t)(f->pad * f->cs) * sizeof(bf16));
            memset(d + tail * f->cs, 0, (size_t)((f->wp - tail) * f->cs) * sizeof(bf16));
        }
        const float* src = in + ((r / f->hp) * f->h + i / f->up) * f->w * f->cin;
        for (int64_t j = 0; j < f->w; j++) {
            bf16* dj = d + (f->pad + j * f->up) * f->cs;
            d4j_bf16_round_run(dj, src + j * f->cin, f->cin);
            if (f->up == 1) memset(dj + f->cin, 0, (size_t)(f->cs - f->cin) * sizeof(bf16));
        }
    }
    memset(buf + rows * f->wp * f->cs, 0, (size_t)(slack * f->cs) * sizeof(bf16));
}

/* c[32][32] = the 32 rows from pixel q0 of buf · panels b0 (and b1 when not NULL) */
static void flat_block(float* c, const bf16* buf, const flat_shape* f, int64_t q0, const bf16* b0, const bf16* b1) {
    const long lda = (long)f->cs * 2;
    const int64_t krow = f->k * f->cs; /* bf16 per tap row */
    _tile_zero(0);
    _tile_zero(2);
    if (b1) {
        _tile_zero(1);
        _tile_zero(3);
    }
    for (int kh = 0; kh < f->k; kh++) {
        const bf16* a = buf + (q0 + kh * f->wp) * f->cs;
        for (int64_t kk = 0; kk < krow; kk += KS) {
            const int64_t kg = kh * krow + kk; /* the B row */
            _tile_loadd(4, a + kk, lda);
            _tile_loadd(5, a + TR * f->cs + kk, lda);
            _tile_loadd(6, b0 + kg * TR, 64);
            _tile_dpbf16ps(0, 4, 6);
            _tile_dpbf16ps(2, 5, 6);
            if (b1) {
                _tile_loadd(7, b1 + kg * TR, 64);
                _tile_dpbf16ps(1, 4, 7);
                _tile_dpbf16ps(3, 5, 7);
            }
        }
    }
    _tile_stored(0, c, 128);
    _tile_stored(2, c + TR * 32, 128);
    if (b1) {
        _tile_stored(1, c + TR, 128);
        _tile_stored(3, c + TR * 32 + TR, 128);
    }
}

/* out (images n0 .. n0 + count) = the GEMM over buf, which holds those images padded */
static void flat_rows(float* out, const bf16* buf, const flat_shape* f, int64_t n0, int64_t count, int64_t kp,
                      const bf16* packed, const float* bias, float* c, int threads) {
    const int64_t plane = f->hp * f->wp, panels = d4j_ceil_div(f->cout, TR);
    const int64_t last = (count - 1) * plane + f->ho * f->wp; /* no output row starts at or past this pixel */
    const int64_t blocks = d4j_ceil_div(last, BM);
    const int parallel = threads > 1;
#pragma omp parallel num_threads(threads) if (parallel)
    {
        float* cc = c + (size_t)d4j_thread_num() * BM * 32;
        if (parallel) tiles_on();
#pragma omp for schedule(dynamic, 4)
        for (int64_t blk = 0; blk < blocks; blk++) {
            float* dst[BM];
            int rows = 0;
            for (int i = 0; i < BM; i++) {
                int64_t q = blk * BM + i, img = q / plane, r = q % plane, oi = r / f->wp, oj = r % f->wp;
                int valid = q < last && oi < f->ho && oj < f->wo;
                dst[i] = valid ? out + (((n0 + img) * f->ho + oi) * f->wo + oj) * f->cout : NULL;
                if (valid) rows = i + 1;
            }
            if (!rows) continue;
            for (int64_t j = 0; j < panels; j += 2) {
                const int two = j + 1 < panels;
                flat_block(cc, buf, f, blk * BM, packed + j * kp * TR, two ? packed + (j + 1) * kp * TR : NULL);
                for (int jj = 0; jj <= two; jj++) {
                    const int64_t col0 = (j + jj) * TR;
                    const int cols = (int)(f->cout - col0 < TR ? f->cout - col0 : TR);
                    __mmask16 m = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1u);
                    __m512 b = bias ? _mm512_maskz_loadu_ps(m, bias + col0) : _mm512_setzero_ps();
                    for (int i = 0; i < rows; i++)
                        if (dst[i]) _mm512_mask_storeu_ps(dst[i] + col0, m, _mm512_add_ps(_mm512_loadu_ps(cc + i * 32 + jj * TR), b));
                }
            }
        }
        if (parallel) _tile_release();
    }
}

/*
 * out = conv(in, B) for a stride-1 convolution of n images of shape f (output (hp − k + 1) ×
 * (wp − k + 1) × cout); packed = B with seg = round_up(cin, 32).
 * Many images of 32 output rows or more: each thread pads and runs whole images, its copy staying
 * in L2. Otherwise one shared copy, the rows split over the threads (a block may span images).
 */
static int flat_conv(float* out, const float* in, int64_t n, flat_shape f, const bf16* packed, const float* bias) {
    const int k = f.k;
    const int64_t h = f.h, w = f.w, cin = f.cin, cout = f.cout;
    f.cs = round_up(cin, KS);
    f.ho = f.hp - k + 1;
    f.wo = f.wp - k + 1;
    const int64_t kp = (int64_t)k * k * f.cs, plane = f.hp * f.wp, slack = BM + k;
    const int threads = d4j_split_threads(n * f.ho * f.wo * cout * kp, n * plane / BM + 1);
    /* images whose outputs fill less than a block (a linear layer's single pixel) share one copy:
     * blocks then span images */
    const int per_image = n >= 2 * threads && f.ho * f.wp >= BM;
    const int64_t copy = (per_image ? plane : n * plane) + slack; /* pixels of one padded copy */
    bf16* buf = d4j_bf16_alloc((size_t)((per_image ? threads : 1) * copy * f.cs) * sizeof(bf16));
    float* c = d4j_bf16_alloc((size_t)threads * BM * 32 * sizeof(float));
    if (!buf || !c) {
        free(buf);
        free(c);
        return -1;
    }
    if (per_image) {
#pragma omp parallel num_threads(threads) if (threads > 1)
        {
            const int tid = d4j_thread_num();
            bf16* mine = buf + (size_t)tid * copy * f.cs;
            tiles_on();
#pragma omp for schedule(dynamic, 1)
            for (int64_t img = 0; img < n; img++) {
                pad_round(mine, in + img * h * w * cin, 1, &f, slack, 0);
                MEMORY_BARRIER();
                flat_rows(out, mine, &f, img, 1, kp, packed, bias, c + (size_t)tid * BM * 32, 1);
            }
            _tile_release();
        }
    } else {
        pad_round(buf, in, n, &f, slack, threads > 1);
        tiles_on(); /* this thread's tiles for a serial run; a parallel one loads its own */
        flat_rows(out, buf, &f, 0, n, kp, packed, bias, c, threads);
        _tile_release();
    }
    free(buf);
    free(c);
    return 0;
}

int D4J_CPU(conv2d_amx_forward)(float* y, const float* x, const float* w, const float* bias,
                                const d4j_conv_shape* s) {
    const int taps = s->k * s->k, flat = s->stride == 1;
    const int64_t cin = s->cin, cout = s->cout, seg = flat ? round_up(cin, KS) : (cin + 1) & ~(int64_t)1;
    const int64_t kp = round_up(taps * seg, KS), panels = d4j_ceil_div(cout, TR);
    const int64_t pixels = s->n * s->h * s->w, nw = (int64_t)taps * cin * cout;
    bf16* xb = flat ? NULL : d4j_bf16_alloc((size_t)(pixels * seg) * sizeof(bf16));
    bf16* wb = d4j_bf16_alloc((size_t)nw * sizeof(bf16));
    bf16* packed = d4j_bf16_alloc((size_t)(panels * kp * TR) * sizeof(bf16));
    bf16* zero = d4j_bf16_alloc((size_t)seg * sizeof(bf16));
    if ((!flat && !xb) || !wb || !packed || !zero) {
        free(xb); free(wb); free(packed); free(zero);
        return -1;
    }
    memset(zero, 0, (size_t)seg * sizeof(bf16));
    memset(packed, 0, (size_t)(panels * kp * TR) * sizeof(bf16));
    d4j_bf16_round_run(wb, w, nw);
    for (int t = 0; t < taps; t++) /* B row k = t·seg + ci holds w[t][ci][·] */
        for (int64_t ci = 0; ci < cin; ci++)
            for (int64_t co = 0; co < cout; co++) pack_at(packed, kp, t * seg + ci, co, wb[(t * cin + ci) * cout + co]);
    if (flat) {
        flat_shape f = {.h = s->h, .w = s->w, .cin = cin, .cout = cout, .k = s->k, .pad = s->pad, .up = 1,
                        .hp = s->h + 2 * s->pad, .wp = s->w + 2 * s->pad};
        int rc = flat_conv(y, x, s->n, f, packed, bias);
        free(wb); free(packed); free(zero);
        return rc;
    }
    d4j_bf16_round_rows(xb, x, pixels, cin, seg);
    row_plan r = {.s = s, .src = xb, .dst = y, .zero = zero, .seg = seg, .taps = taps, .backward = 0};
    int rc = run_rows(&r, s->n * s->ho * s->wo, kp, packed, cout, bias);
    free(xb); free(wb); free(packed); free(zero);
    return rc;
}

/* Backward data as a stride-1 forward convolution: dx = conv(dy spread out by the stride and padded
 * by k − 1 − pad before (H + k − 1 rows and W + k − 1 columns in all), w turned by 180° with Cin and
 * Cout swapped), i.e. B row (k−1−kh, k−1−kw)·Cs + co holds w[kh][kw][·][co]. */
static int flat_backward_data(float* dx, const float* dy, const float* w, const d4j_conv_shape* s) {
    const int k = s->k, taps = k * k;
    const int64_t cin = s->cin, cout = s->cout, cs = round_up(cout, KS), kp = taps * cs;
    const int64_t panels = d4j_ceil_div(cin, TR), nw = (int64_t)taps * cin * cout;
    bf16* wb = d4j_bf16_alloc((size_t)nw * sizeof(bf16));
    bf16* packed = d4j_bf16_alloc((size_t)(panels * kp * TR) * sizeof(bf16));
    if (!wb || !packed) {
        free(wb); free(packed);
        return -1;
    }
    memset(packed, 0, (size_t)(panels * kp * TR) * sizeof(bf16));
    d4j_bf16_round_run(wb, w, nw);
    for (int t = 0; t < taps; t++)
        for (int64_t ci = 0; ci < cin; ci++) {
            const bf16* wrow = wb + ((int64_t)t * cin + ci) * cout;
            for (int64_t co = 0; co < cout; co++) pack_at(packed, kp, (taps - 1 - t) * cs + co, ci, wrow[co]);
        }
    flat_shape f = {.h = s->ho, .w = s->wo, .cin = cout, .cout = cin, .k = k, .pad = k - 1 - s->pad,
                    .up = s->stride, .hp = s->h + k - 1, .wp = s->w + k - 1};
    int rc = flat_conv(dx, dy, s->n, f, packed, NULL);
    free(wb); free(packed);
    return rc;
}

int D4J_CPU(conv2d_amx_backward_data)(float* dx, const float* dy, const float* w, const d4j_conv_shape* s) {
    /* stride 1 and 2 spread out; larger strides would multiply mostly zeros: gathered */
    if (s->stride <= 2 && s->pad <= s->k - 1) return flat_backward_data(dx, dy, w, s);
    const int k = s->k, st = s->stride;
    const int64_t cin = s->cin, cout = s->cout, seg = (cout + 1) & ~(int64_t)1;
    const int64_t kmax = round_up((int64_t)k * k * seg, KS), panels = d4j_ceil_div(cin, TR);
    const int64_t opixels = s->n * s->ho * s->wo, nw = (int64_t)k * k * cin * cout;
    bf16* dyb = d4j_bf16_alloc((size_t)(opixels * seg) * sizeof(bf16));
    bf16* wb = d4j_bf16_alloc((size_t)nw * sizeof(bf16));
    bf16* packed = d4j_bf16_alloc((size_t)(panels * kmax * TR) * sizeof(bf16));
    bf16* zero = d4j_bf16_alloc((size_t)seg * sizeof(bf16));
    if (!dyb || !wb || !packed || !zero) {
        free(dyb); free(wb); free(packed); free(zero);
        return -1;
    }
    memset(zero, 0, (size_t)seg * sizeof(bf16));
    d4j_bf16_round_rows(dyb, dy, opixels, cout, seg);
    d4j_bf16_round_run(wb, w, nw);
    int rc = 0;
    /* one GEMM per residue class of dx pixels (d4j_conv_residue_class); a class no tap reaches gets zeros */
    for (int ph = 0; ph < st && rc == 0; ph++)
        for (int pw = 0; pw < st && rc == 0; pw++) {
            row_plan r = {.s = s, .src = dyb, .dst = dx, .zero = zero, .seg = seg, .backward = 1, .ph = ph, .pw = pw,
                          .cls = d4j_conv_residue_class(s, ph, pw)};
            r.taps = r.cls.taps;
            const int64_t m_total = s->n * r.cls.nh * r.cls.nw, kp = round_up(r.taps * seg, KS);
            if (m_total == 0) continue;
            memset(packed, 0, (size_t)(panels * kp * TR) * sizeof(bf16));
            for (int t = 0; t < r.taps; t++) /* B row t·seg + co holds w[tap t][·][co] */
                for (int64_t ci = 0; ci < cin; ci++) {
                    const bf16* wrow = wb + ((int64_t)(r.cls.tkh[t] * k + r.cls.tkw[t]) * cin + ci) * cout;
                    for (int64_t co = 0; co < cout; co++) pack_at(packed, kp, t * seg + co, ci, wrow[co]);
                }
            rc = run_rows(&r, m_total, kp, packed, cin, NULL);
        }
    free(dyb); free(wb); free(packed); free(zero);
    return rc;
}

/* ---- backward weights ----------------------------------------------------------------- */

/* out[c] = column c of the 16 × 16 block r[0..16) (row i = r[i]) */
static void transpose16(__m512 out[16], const __m512 r[16]) {
    __m512 a[16], b[16];
    for (int i = 0; i < 8; i++) {
        a[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        a[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int g = 0; g < 4; g++) { /* b[4g + j], lane l: rows 4g .. 4g + 3 of column 4l + j */
        __m512d a0 = _mm512_castps_pd(a[4 * g]), a1 = _mm512_castps_pd(a[4 * g + 1]),
                a2 = _mm512_castps_pd(a[4 * g + 2]), a3 = _mm512_castps_pd(a[4 * g + 3]);
        b[4 * g + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(a0, a2));
        b[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a0, a2));
        b[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(a1, a3));
        b[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(a1, a3));
    }
    for (int j = 0; j < 4; j++) {
        __m512 c0 = _mm512_shuffle_f32x4(b[j], b[4 + j], 0x88), c1 = _mm512_shuffle_f32x4(b[j], b[4 + j], 0xdd);
        __m512 c2 = _mm512_shuffle_f32x4(b[8 + j], b[12 + j], 0x88), c3 = _mm512_shuffle_f32x4(b[8 + j], b[12 + j], 0xdd);
        out[j] = _mm512_shuffle_f32x4(c0, c2, 0x88);
        out[8 + j] = _mm512_shuffle_f32x4(c0, c2, 0xdd);
        out[4 + j] = _mm512_shuffle_f32x4(c1, c3, 0x88);
        out[12 + j] = _mm512_shuffle_f32x4(c1, c3, 0xdd);
    }
}

/* dyT[co][q] = bf16 dy[m0 + q][co] for q < len (a multiple of 16), zero for q ≥ mcount or co ≥ cout */
static void transpose_dy(bf16* dyT, const float* dy, int64_t cout, int64_t co16, int64_t m0, int64_t mcount,
                         int64_t len) {
    for (int64_t c0 = 0; c0 < co16; c0 += 16) {
        __mmask16 cm = cout - c0 >= 16 ? 0xFFFF : (__mmask16)((1u << (cout - c0)) - 1u);
        for (int64_t q0 = 0; q0 < len; q0 += 16) {
            __m512 r[16], t[16];
            for (int i = 0; i < 16; i++)
                r[i] = q0 + i < mcount ? _mm512_maskz_loadu_ps(cm, dy + (m0 + q0 + i) * cout + c0) : _mm512_setzero_ps();
            transpose16(t, r);
            for (int c = 0; c < 16; c++)
                _mm256_storeu_si256((__m256i*)(dyT + (c0 + c) * CHUNK + q0), (__m256i)_mm512_cvtneps_pbh(t[c]));
        }
    }
}

/* The 16-bit lanes of [a0..a15 | b0..b15] in the order a0 b0 a1 b1 ... (VPERMW indices). */
static const uint16_t pair_order[32] __attribute__((aligned(64))) = {
    0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};

/* xp[p][ci] = (bf16 a[ci], bf16 b[ci]) for ci < ci16 (zero past cin; a NULL row is zeros) */
static void interleave_pair(uint32_t* xp, const float* a, const float* b, int64_t cin, int64_t ci16) {
    const __m512i order = _mm512_load_si512(pair_order);
    for (int64_t c0 = 0; c0 < ci16; c0 += 16) {
        __mmask16 m = cin - c0 >= 16 ? 0xFFFF : cin > c0 ? (__mmask16)((1u << (cin - c0)) - 1u) : 0;
        __m512 va = a ? _mm512_maskz_loadu_ps(m, a + c0) : _mm512_setzero_ps();
        __m512 vb = b ? _mm512_maskz_loadu_ps(m, b + c0) : _mm512_setzero_ps();
        __m512i v = (__m512i)_mm512_cvtne2ps_pbh(vb, va); /* bf16 a[0..16) then b[0..16) */
        _mm512_storeu_si512((void*)(xp + c0), _mm512_permutexvar_epi16(order, v));
    }
}

/* C tiles (co rows co0 .., ci columns ci0 ..) of pT += dyT rows · xp columns over `steps` steps of 32 pixels */
static void wgrad_block(float* pT, long ldc, const bf16* dyT, long lda, const uint32_t* xp, long ldb, int64_t steps,
                        int two_rows, int two_cols) {
    _tile_loadd(0, pT, ldc);
    if (two_cols) _tile_loadd(1, pT + TR, ldc);
    if (two_rows) _tile_loadd(2, pT + TR * (ldc / 4), ldc);
    if (two_rows && two_cols) _tile_loadd(3, pT + TR * (ldc / 4) + TR, ldc);
    for (int64_t k = 0; k < steps; k++) {
        _tile_loadd(4, dyT + k * KS, lda);
        _tile_loadd(6, xp + k * TR * (ldb / 4), ldb); /* pair rows 16k .. 16k + 15 */
        _tile_dpbf16ps(0, 4, 6);
        if (two_cols) {
            _tile_loadd(7, xp + k * TR * (ldb / 4) + TR, ldb);
            _tile_dpbf16ps(1, 4, 7);
        }
        if (two_rows) {
            _tile_loadd(5, dyT + TR * (lda / 2) + k * KS, lda);
            _tile_dpbf16ps(2, 5, 6);
            if (two_cols) _tile_dpbf16ps(3, 5, 7);
        }
    }
    _tile_stored(0, pT, ldc);
    if (two_cols) _tile_stored(1, pT + TR, ldc);
    if (two_rows) _tile_stored(2, pT + TR * (ldc / 4), ldc);
    if (two_rows && two_cols) _tile_stored(3, pT + TR * (ldc / 4) + TR, ldc);
}

/* Per thread: per_f floats of weight-gradient partials, zeroed (so one of a thread OpenMP never
 * started adds nothing), and per_b bf16 of operand buffers. 0, or -1 with nothing allocated. */
static int alloc_partials(float** partial, bf16** buf, int threads, int64_t per_f, int64_t per_b) {
    *partial = d4j_bf16_alloc((size_t)(threads * per_f) * sizeof(float));
    *buf = d4j_bf16_alloc((size_t)(threads * per_b) * sizeof(bf16));
    if (!*partial || !*buf) {
        free(*partial);
        free(*buf);
        return -1;
    }
    memset(*partial, 0, (size_t)(threads * per_f) * sizeof(float));
    return 0;
}

/* dw[t][ci][co] += Σ_threads pT[t][co][ci], dbias += Σ_threads pb, in thread order: the same sums every run */
static void add_partials(float* dw, float* dbias, const float* partial, int threads, int64_t per_f, int taps,
                         int64_t cin, int64_t cout, int64_t co16, int64_t ci16) {
    const int64_t tsize = (int64_t)taps * co16 * ci16;
    for (int th = 0; th < threads; th++) {
        const float* pt = partial + th * per_f;
        for (int t = 0; t < taps; t++)
            for (int64_t ci = 0; ci < cin; ci++)
                for (int64_t co = 0; co < cout; co++)
                    dw[((int64_t)t * cin + ci) * cout + co] += pt[((int64_t)t * co16 + co) * ci16 + ci];
        if (dbias)
            for (int64_t co = 0; co < cout; co++) dbias[co] += pt[tsize + co];
    }
}
/* One image's operands for flat_backward_weights: dyT[co][q] (zero where q is no output) and the
 * x_pad pixel pairs xe[p] = (2p, 2p + 1), xo[p] = (2p + 1, 2p + 2). */
static void image_operands(bf16* dyT, uint32_t* xe, uint32_t* xo, const float* dyn, const float* xn,
                           const d4j_conv_shape* s, int64_t co16, int64_t ci16, int64_t qn, int64_t npair) {
    const int64_t cout = s->cout, cin = s->cin, ho = s->ho, wo = s->wo, wp = s->w + 2 * s->pad;
    const int64_t plane = (s->h + 2 * s->pad) * wp;
    /* dyᵀ: 16 q × 16 co blocks through transpose16 */
    for (int64_t c0 = 0; c0 < co16; c0 += 16) {
        __mmask16 cm = cout - c0 >= 16 ? 0xFFFF : (__mmask16)((1u << (cout - c0)) - 1u);
        for (int64_t q0 = 0; q0 < qn; q0 += 16) {
            __m512 r[16], t[16];
            for (int i = 0; i < 16; i++) {
                int64_t q = q0 + i, oi = q / wp, oj = q % wp;
                r[i] = oi < ho && oj < wo ? _mm512_maskz_loadu_ps(cm, dyn + (oi * wo + oj) * cout + c0)
                                          : _mm512_setzero_ps();
            }
            transpose16(t, r);
            for (int c = 0; c < 16; c++)
                _mm256_storeu_si256((__m256i*)(dyT + (c0 + c) * qn + q0), (__m256i)_mm512_cvtneps_pbh(t[c]));
        }
    }
    /* x_pad pixel q as a row of x, or NULL (zeros) in the padding and past the plane */
    for (int64_t p = 0; p < npair; p++) {
        const float* px[3];
        for (int e = 0; e < 3; e++) {
            int64_t q = 2 * p + e, i = q / wp - s->pad, j = q % wp - s->pad;
            px[e] = q < plane && i >= 0 && i < s->h && j >= 0 && j < s->w ? xn + (i * s->w + j) * cin : NULL;
        }
        interleave_pair(xe + p * ci16, px[0], px[1], cin, ci16);
        interleave_pair(xo + p * ci16, px[1], px[2], cin, ci16);
    }
    MEMORY_BARRIER();
}

/*
 * Stride-1 weight gradient over the padded layout of flat_conv: with q the padded pixel
 * number of an output (zero dy where q is no output), dWᵀ[tap][co][ci] = Σ_q dy[q][co] ·
 * x_pad[q + kh·Wp + kw][ci]. A = dyᵀ of one image (co rows, q along the row); B rows are pixel
 * pairs (q, q + 1) of x_pad interleaved, built once per image twice — pairs from even q and pairs
 * from odd q — so that every tap's B is one tile load at its offset, with no gathering per tap.
 */
static int flat_backward_weights(float* dw, float* dbias, const float* dy, const float* x, const d4j_conv_shape* s) {
    const int k = s->k, taps = k * k;
    const int64_t cin = s->cin, cout = s->cout, ci16 = round_up(cin, TR), co16 = round_up(cout, TR);
    const int64_t wp = s->w + 2 * s->pad, ho = s->ho, wo = s->wo;
    const int64_t qn = round_up(ho * wp, KS);           /* pixels q a dyᵀ row spans: every output, zeros after */
    const int64_t npair = (qn + (k - 1) * (wp + 1)) / 2 + 1; /* pairs a tap's B can reach, from either parity */
    const int64_t tsize = (int64_t)taps * co16 * ci16;
    /* the threads take fixed ranges of (image, tap) items, so a batch of one still uses them all */
    const int64_t items = s->n * taps;
    const int threads = d4j_split_threads(s->n * ho * wo * taps * cin * cout, items);
    const int64_t per_f = tsize + co16, per_b = co16 * qn + 2 * npair * ci16 * 2;
    float* partial;
    bf16* buf;
    if (alloc_partials(&partial, &buf, threads, per_f, per_b)) return -1;
#pragma omp parallel num_threads(threads) if (threads > 1)
    {
        int64_t it0, it1, built = -1;
        const int tid = d4j_split_range(items, &it0, &it1);
        float* pT = partial + tid * per_f;
        float* pb = pT + tsize;
        bf16* dyT = buf + tid * per_b;
        uint32_t* xe = (uint32_t*)(dyT + co16 * qn); /* xe[p]: pixels 2p, 2p + 1 */
        uint32_t* xo = xe + npair * ci16;             /* xo[p]: pixels 2p + 1, 2p + 2 */
        tiles_on();
        for (int64_t it = it0; it < it1; it++) {
            const int64_t n = it / taps;
            const int kh = (int)(it % taps) / k, kw = (int)(it % taps) % k;
            if (it % taps == 0) { /* fp32 Σ dy, once per image: with its first tap */
                const float* dyn = dy + n * ho * wo * cout;
                for (int64_t m = 0; m < ho * wo; m++)
                    for (int64_t co = 0; co < cout; co++) pb[co] += dyn[m * cout + co];
            }
            if (n != built) { /* this image's dyᵀ and pixel pairs, shared by its taps */
                image_operands(dyT, xe, xo, dy + n * ho * wo * cout, x + n * s->h * s->w * cin, s, co16, ci16, qn,
                               npair);
                built = n;
            }
            const int64_t off = kh * wp + kw;
            const uint32_t* xb = off % 2 ? xo + (off - 1) / 2 * ci16 : xe + off / 2 * ci16;
            float* pt = pT + (int64_t)(kh * k + kw) * co16 * ci16;
            for (int64_t co = 0; co < co16; co += 2 * TR)
                for (int64_t ci = 0; ci < ci16; ci += 2 * TR)
                    wgrad_block(pt + co * ci16 + ci, (long)ci16 * 4, dyT + co * qn, (long)qn * 2, xb + ci,
                                (long)ci16 * 4, qn / KS, co + TR < co16, ci + TR < ci16);
        }
        _tile_release();
    }
    add_partials(dw, dbias, partial, threads, per_f, taps, cin, cout, co16, ci16);
    free(partial);
    free(buf);
    return 0;
}

int D4J_CPU(conv2d_amx_backward_weights)(float* dw, float* dbias, const float* dy, const float* x,
                                         const d4j_conv_shape* s) {
    /* stride 1 over the padded layout, unless an image has too few outputs to fill its steps of 32
     * (a linear layer's single pixel): then chunks of 256 outputs across images, as other strides */
    if (s->stride == 1 && s->ho * (s->w + 2 * s->pad) >= KS) return flat_backward_weights(dw, dbias, dy, x, s);
    const int k = s->k, taps = k * k;
    const int64_t cin = s->cin, cout = s->cout, ci16 = round_up(cin, TR), co16 = round_up(cout, TR);
    const int64_t m_total = s->n * s->ho * s->wo, chunks = d4j_ceil_div(m_total, CHUNK);
    const int64_t tsize = (int64_t)taps * co16 * ci16; /* one thread's dWᵀ partial */
    const int threads = d4j_split_threads(m_total * taps * cin * cout, chunks);
    /* per thread: dWᵀ partial, dbias partial (cout rounded to 16 floats), dyᵀ, x pairs */
    const int64_t per_f = tsize + co16, per_b = co16 * CHUNK + CHUNK * ci16;
    float* partial;
    bf16* buf;
    if (alloc_partials(&partial, &buf, threads, per_f, per_b)) return -1;
#pragma omp parallel num_threads(threads) if (threads > 1)
    {
        int64_t ch0, ch1;
        const int tid = d4j_split_range(chunks, &ch0, &ch1);
        float* pT = partial + tid * per_f;
        float* pb = pT + tsize;
        bf16* dyT = buf + tid * per_b;
        uint32_t* xp = (uint32_t*)(dyT + co16 * CHUNK);
        tiles_on();
        for (int64_t m = ch0 * CHUNK; m < (ch1 * CHUNK < m_total ? ch1 * CHUNK : m_total); m++) /* fp32 Σ dy */
            for (int64_t co = 0; co < cout; co++) pb[co] += dy[m * cout + co];
        for (int64_t ch = ch0; ch < ch1; ch++) {
            const int64_t m0 = ch * CHUNK, mcount = m_total - m0 < CHUNK ? m_total - m0 : CHUNK;
            const int64_t steps = d4j_ceil_div(mcount, KS);
            transpose_dy(dyT, dy, cout, co16, m0, mcount, steps * KS);
            for (int kh = 0; kh < k; kh++)
                for (int kw = 0; kw < k; kw++) {
                    for (int64_t p = 0; p < steps * KS / 2; p++) {
                        const float* src[2];
                        for (int e = 0; e < 2; e++) { /* pixel(m, tap), or zeros in the padding / past the end */
                            int64_t q = 2 * p + e;
                            src[e] = NULL;
                            if (q >= mcount) continue;
                            int64_t m = m0 + q, n = m / (s->ho * s->wo), r = m % (s->ho * s->wo);
                            int64_t hi = (r / s->wo) * s->stride - s->pad + kh;
                            int64_t wi = (r % s->wo) * s->stride - s->pad + kw;
                            if (hi >= 0 && hi < s->h && wi >= 0 && wi < s->w) src[e] = x + ((n * s->h + hi) * s->w + wi) * cin;
                        }
                        interleave_pair(xp + p * ci16, src[0], src[1], cin, ci16);
                    }
                    MEMORY_BARRIER();
                    float* pt = pT + (int64_t)(kh * k + kw) * co16 * ci16;
                    for (int64_t co = 0; co < co16; co += 2 * TR)
                        for (int64_t ci = 0; ci < ci16; ci += 2 * TR)
                            wgrad_block(pt + co * ci16 + ci, (long)ci16 * 4, dyT + co * CHUNK, CHUNK * 2, xp + ci, (long)ci16 * 4,
                                        steps, co + TR < co16, ci + TR < ci16);
                }
        }
        _tile_release();
    }
    add_partials(dw, dbias, partial, threads, per_f, taps, cin, cout, co16, ci16);
    free(partial);
    free(buf);
    return 0;
}

#endif /* AVX-512 BF16 build */
