/*
 * conv2d_winograd.c — 3×3 stride-1 convolution as Winograd F(m×m, 3×3), m = 2 or 4
 * (Lavin & Gray 2016, eq. 8): per m×m output tile Y and the α×α input tile d
 * around it (α = m + 2),
 *   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
 * with the matrices of F(2, 3) and F(4, 3) written out in the 1-D transforms
 * below. Summed over input channels the ⊙ becomes α² independent GEMMs, one per
 * transformed position ξ: M[ξ] (tiles × Cout) = V[ξ] (tiles × Cin) · U[ξ] (Cin × Cout):
 * α²/m² multiplies per output and channel pair where the direct convolution does
 * 9 (F(2, 3): 4, 2.25× fewer; F(4, 3): 2.25, 4× fewer, at a larger rounding error).
 * Backward data is the same forward run on dy with the kernel flipped and its
 * channel axes swapped (pad 2 - pad). Backward weights is the forward's
 * transpose: Y is linear in U, so dU[ξ] = Σ_tiles V[ξ]ᵀ · (A dY Aᵀ)[ξ] and
 * dg = Gᵀ dU G.
 * Tiles are taken in chunks whose transformed data stays in L2: each thread
 * transforms a chunk, runs the α² GEMMs on the register tiles of gemm_tile.h
 * (wgrad_tile.h for the weight gradient) and transforms back. Transforms run on
 * WV channels at a time (16, one zmm, in the AVX-512 build; 8 elsewhere); channel
 * strides are padded to whole vectors, and the α² planes of every buffer are skewed
 * off 4 KiB multiples (PLANE_SKEW).
 */
#include <stdlib.h>
#include <string.h>

#include "../core/conv2d_winograd.h"
#include "gemm_tile.h"
#include "thread_split.h"
#include "wgrad_tile.h"

#define AMAX 6                    /* largest α */
#define CHUNK_MAX 48              /* tiles per chunk at most */
#define CHUNK_BYTES (384 * 1024) /* a chunk's V and M (or V and E) together: well inside a 1 MiB L2 */
#define INLINE static inline __attribute__((always_inline))
/* Floats added to the stride between the α² planes of V, M and E: planes a multiple of 4 KiB
 * apart map to one L1 set, and a transform touching all α² of them would evict its own lines. */
#define PLANE_SKEW 16

#ifdef __AVX512F__
#define WV 16 /* channels per transform vector */
#else
#define WV 8
#endif
typedef float wvec __attribute__((vector_size(WV * 4), aligned(WV * 4)));
typedef float wvecu __attribute__((vector_size(WV * 4), aligned(4)));
#define WSPLAT(x) ((wvec){0} + (float)(x))
/* a·b + c in one rounding where the build has FMA: with a power-of-two constant (2, 4, 8) the
 * product is exact, so the result is the same as the two-step form's, in one instruction */
#if defined(__AVX512F__)
#define WFMA(a, b, c) ((wvec)_mm512_fmadd_ps((__m512)(a), (__m512)(b), (__m512)(c)))
#elif defined(__FMA__)
#define WFMA(a, b, c) ((wvec)_mm256_fmadd_ps((__m256)(a), (__m256)(b), (__m256)(c)))
#else
#define WFMA(a, b, c) ((a) * (b) + (c))
#endif

static float* alloc_floats(size_t n) {
    void* p = NULL;
    if (posix_memalign(&p, 64, (n ? n : 1) * sizeof(float)) != 0) return NULL;
    return p;
}

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* Floats between the ξ planes of the packed weights (kin rows of every 16-column panel, skewed) */
static int64_t packed_plane(int64_t kin, int64_t kout) { return ceil_div(kout, 16) * kin * 16 + PLANE_SKEW; }

/* Tiles per chunk for α² positions and padded row widths a, b: a multiple of the register
 * tile's 6 rows whose α² · tiles · (a + b) floats fit CHUNK_BYTES. */
static int chunk_tiles(int xi, int64_t a, int64_t b) {
    int64_t t = CHUNK_BYTES / ((int64_t)xi * (a + b) * (int64_t)sizeof(float)) / D4J_TILE_M * D4J_TILE_M;
    return (int)(t < D4J_TILE_M ? D4J_TILE_M : t > CHUNK_MAX ? CHUNK_MAX : t);
}

/* ---- the 1-D transforms, on WV-channel vectors (o and d may not alias) --------------------- */

/* o = Bᵀ d (α values). F(2,3): Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
 * F(4,3): Bᵀ = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]. */
INLINE void bt(int m, wvec* o, const wvec* d) {
    if (m == 2) {
        o[0] = d[0] - d[2];
        o[1] = d[1] + d[2];
        o[2] = d[2] - d[1];
        o[3] = d[1] - d[3];
    } else {
        const wvec four = WSPLAT(4.0f), mfour = WSPLAT(-4.0f), mfive = WSPLAT(-5.0f), two = WSPLAT(2.0f),
                   mtwo = WSPLAT(-2.0f);
        wvec a = d[3] + d[4], b = d[1] + d[2], c = d[4] - d[3], e = d[1] - d[2];
        wvec f = d[4] - d[2], h = d[3] - d[1];
        o[0] = WFMA(four, d[0], WFMA(mfive, d[2], d[4]));
        o[1] = WFMA(mfour, b, a);
        o[2] = WFMA(four, e, c);
        o[3] = WFMA(two, h, f);
        o[4] = WFMA(mtwo, h, f);
        o[5] = WFMA(four, d[1], WFMA(mfive, d[3], d[5]));
    }
}

/* o = Aᵀ d (α values to m). F(2,3): Aᵀ = [1 1 1 0; 0 1 -1 -1].
 * F(4,3): Aᵀ = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]. */
INLINE void at(int m, wvec* o, const wvec* d) {
    if (m == 2) {
        o[0] = d[0] + d[1] + d[2];
        o[1] = d[1] - d[2] - d[3];
    } else {
        const wvec two = WSPLAT(2.0f), four = WSPLAT(4.0f), eight = WSPLAT(8.0f);
        wvec p = d[1] + d[2], q = d[1] - d[2], r = d[3] + d[4], s = d[3] - d[4];
        o[0] = d[0] + p + r;
        o[1] = WFMA(two, s, q);
        o[2] = WFMA(four, r, p);
        o[3] = WFMA(eight, s, q) + d[5];
    }
}

/* o = A d (m values to α), A = (Aᵀ)ᵀ: the weight gradient's transform of dY. */
INLINE void a_(int m, wvec* o, const wvec* d) {
    if (m == 2) {
        o[0] = d[0];
        o[1] = d[0] + d[1];
        o[2] = d[0] - d[1];
        o[3] = -d[1];
    } else {
        const wvec two = WSPLAT(2.0f), four = WSPLAT(4.0f), eight = WSPLAT(8.0f);
        wvec ev = d[0] + d[2], od = d[1] + d[3], ev4 = WFMA(four, d[2], d[0]), od4 = WFMA(eight, d[3], two * d[1]);
        o[0] = d[0];
        o[1] = ev + od;
        o[2] = ev - od;
        o[3] = ev4 + od4;
        o[4] = ev4 - od4;
        o[5] = d[3];
    }
}

/* o = G g (3 values to α), on WV lanes (output channels; reciprocals instead of divisions).
 * F(2,3): G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1].
 * F(4,3): G = [¼ 0 0; -⅙ -⅙ -⅙; -⅙ ⅙ -⅙; 1/24 1/12 ⅙; 1/24 -1/12 ⅙; 0 0 1]. */
INLINE void g_(int m, wvec* o, wvec g0, wvec g1, wvec g2) {
    if (m == 2) {
        const wvec half = WSPLAT(0.5f);
        o[0] = g0;
        o[1] = half * (g0 + g1 + g2);
        o[2] = half * (g0 - g1 + g2);
        o[3] = g2;
    } else {
        const wvec q = WSPLAT(0.25f), s6 = WSPLAT(1.0f / 6), s12 = WSPLAT(1.0f / 12),
                     s24 = WSPLAT(1.0f / 24);
        wvec ev = g0 * s24 + g2 * s6, od = g1 * s12;
        o[0] = g0 * q;
        o[1] = -(g0 + g1 + g2) * s6;
        o[2] = -(g0 - g1 + g2) * s6;
        o[3] = ev + od;
        o[4] = ev - od;
        o[5] = g2;
    }
}

/* o = Gᵀ d (α values to 3), on WV lanes (channel pairs): the weight gradient's last transform. */
INLINE void gt(int m, wvec* o, const wvec* d) {
    if (m == 2) {
        const wvec half = WSPLAT(0.5f);
        o[0] = d[0] + half * (d[1] + d[2]);
        o[1] = half * (d[1] - d[2]);
        o[2] = half * (d[1] + d[2]) + d[3];
    } else {
        const wvec q = WSPLAT(0.25f), s6 = WSPLAT(1.0f / 6), s12 = WSPLAT(1.0f / 12),
                     s24 = WSPLAT(1.0f / 24);
        wvec p = d[1] + d[2], n = d[2] - d[1], r = d[3] + d[4], s = d[3] - d[4];
        o[0] = d[0] * q - p * s6 + r * s24;
        o[1] = n * s6 + s * s12;
        o[2] = (r - p) * s6 + d[5];
    }
}

/* ---- tiles --------------------------------------------------------------------------------- */

/* *v = WV floats of p from c0 (zero past c, all zero for a padding pixel p == NULL) */
INLINE void loadw(wvec* v, const float* p, int64_t c0, int64_t c) {
    if (p && c0 + WV <= c) {
        *v = *(const wvecu*)(p + c0);
    } else {
        float t[WV] __attribute__((aligned(WV * 4))) = {0};
        if (p && c0 < c) memcpy(t, p + c0, (size_t)(c - c0) * sizeof(float));
        *v = *(const wvec*)t;
    }
}

/* The α×α pixel pointers of the tile at (h0, w0) of sample n (NULL outside the image). */
static void tile_pixels(int al, const float** px, const float* x, int64_t n, int64_t h0, int64_t w0, int64_t h,
                        int64_t w, int64_t c) {
    for (int i = 0; i < al; i++)
        for (int j = 0; j < al; j++) {
            int64_t hi = h0 + i, wi = w0 + j;
            px[i * al + j] = hi >= 0 && hi < h && wi >= 0 && wi < w ? x + ((n * h + hi) * w + wi) * c : NULL;
        }
}

/* v[ξ · vs + c] = (Bᵀ d B)[ξ][c] for every channel c < cin of the tile whose pixels are px;
 * a tile wholly inside the image (the common case) loads its pixels without checks. */
INLINE void input_transform(int m, float* v, int64_t vs, const float* const* px, int64_t cin) {
    const int al = m + 2;
    int inside = 1;
    for (int i = 0; i < al * al; i++) inside &= px[i] != NULL;
    for (int64_t c0 = 0; c0 < cin; c0 += WV) {
        wvec d[AMAX][AMAX], r[AMAX][AMAX], col[AMAX], o[AMAX];
        for (int i = 0; i < al * al; i++) {
            if (inside && c0 + WV <= cin) d[i % al][i / al] = *(const wvecu*)(px[i] + c0); /* d[col][row] */
            else loadw(&d[i % al][i / al], px[i], c0, cin);
        }
        for (int j = 0; j < al; j++) bt(m, r[j], d[j]); /* r[j] = Bᵀ (column j of d) */
        for (int i = 0; i < al; i++) {                  /* row i of (Bᵀ d) B */
            for (int j = 0; j < al; j++) col[j] = r[j][i];
            bt(m, o, col);
            for (int j = 0; j < al; j++) *(wvecu*)(v + (i * al + j) * vs + c0) = o[j];
        }
    }
}

/* Row ki of the packed weights (see pack_weights), WV output channels at a time; inlined with a
 * literal m so the transforms unroll. */
INLINE void pack_row(int m, float* packed, const float* src, int64_t ki, int64_t kin, int64_t kout) {
    const int al = m + 2, xi = al * al;
    const int64_t panels = ceil_div(kout, 16), plane = packed_plane(kin, kout);
    for (int64_t h = 0; h < panels * 16 / WV; h++) { /* WV-channel parts of the panels */
        wvec g[9], r[3][AMAX], u[AMAX][AMAX];
        for (int tap = 0; tap < 9; tap++) loadw(&g[tap], src + (tap * kin + ki) * kout, h * WV, kout);
        for (int b = 0; b < 3; b++) g_(m, r[b], g[b], g[3 + b], g[6 + b]);     /* r[b][i] = (G g)[i][b] */
        for (int i = 0; i < al; i++) g_(m, u[i], r[0][i], r[1][i], r[2][i]); /* ((G g) Gᵀ)[i][.] */
        for (int p = 0; p < xi; p++)
            *(wvec*)(packed + p * plane + (h * WV / 16 * kin + ki) * 16 + h * WV % 16) = u[p / al][p % al];
    }
}

/*
 * packed[ξ][panel j][ki][16] = U[ξ][ki][16 j + c] (zero past kout; planes ξ packed_plane apart),
 * U = G g Gᵀ, the B operand of the α² GEMMs, K = ki < kin, N = ko < kout. Forward: g(ki, ko)[a][b] = w[a][b][ki][ko];
 * flipped (backward data): kin = Cout, kout = Cin, g(ki, ko)[a][b] = w[2-a][2-b][ko][ki], first
 * copied into that [a][b][ki][ko] order so both read WV output channels per load. Rows ki are split
 * over the threads; every packed float is written.
 */
static int pack_weights(int m, float* packed, const float* w, int64_t cin, int64_t cout, int flipped) {
    const int xi = (m + 2) * (m + 2);
    const int64_t kin = flipped ? cout : cin, kout = flipped ? cin : cout;
    const int par = 9 * cin * cout * xi >= D4J_CPU_PARALLEL_MIN;
    const float* src = w;
    float* flip = NULL;
    if (flipped) {
        if (!(flip = alloc_floats((size_t)(9 * cin * cout)))) return -1;
#pragma omp parallel for if (par)
        for (int64_t ki = 0; ki < kin; ki++)
            for (int tap = 0; tap < 9; tap++)
                for (int64_t ko = 0; ko < kout; ko++)
                    flip[(tap * kin + ki) * kout + ko] = w[((int64_t)(8 - tap) * cin + ko) * cout + ki];
        src = flip;
    }
#pragma omp parallel for if (par)
    for (int64_t ki = 0; ki < kin; ki++) {
        if (m == 2) pack_row(2, packed, src, ki, kin, kout);
        else pack_row(4, packed, src, ki, kin, kout);
    }
    free(flip);
    return 0;
}

/* ---- forward ------------------------------------------------------------------------------- */

/* The forward on an abstract geometry: y (n, ho, wo, cout) = x (n, h, w, cin) ⋆ packed weights + bias. */
typedef struct { int64_t n, h, w, cin, ho, wo, cout; int pad; } wino_geom;

/* Y = Aᵀ M A (+ bias, then + the residual r of y's layout when not NULL) for WV channels from co
 * of one tile, stored at the output pixels (oh0.., ow0..) inside the image. mp points at
 * M[ξ = 0][tile][co], ξ stride ms. */
INLINE void output_transform(int m, float* y, const float* r, const wino_geom* g, int64_t n, int64_t oh0, int64_t ow0,
                             const float* mp, int64_t ms, const float* biasv, int64_t co) {
    const int al = m + 2;
    wvec mv[AMAX][AMAX], t[AMAX][4], row[AMAX], out[4];
    for (int p = 0; p < al * al; p++) mv[p % al][p / al] = *(const wvecu*)(mp + p * ms); /* mv[col][row] */
    for (int j = 0; j < al; j++) at(m, t[j], mv[j]);                                       /* t[j] = Aᵀ col j */
    wvec b = *(const wvecu*)biasv;
    int64_t lanes = min64(WV, g->cout - co);
    for (int i = 0; i < m; i++) {
        if (oh0 + i >= g->ho) break;
        for (int j = 0; j < al; j++) row[j] = t[j][i];
        at(m, out, row); /* row i of (Aᵀ M) A */
        for (int j = 0; j < m && ow0 + j < g->wo; j++) {
            const int64_t at = ((n * g->ho + oh0 + i) * g->wo + ow0 + j) * g->cout + co;
            float* dst = y + at;
            wvec val = out[j] + b;
            if (r) {
                wvec rv;
                loadw(&rv, r + at - co, co, g->cout);
                val += rv;
            }
            if (lanes == WV) *(wvecu*)dst = val;
            else memcpy(dst, &val, (size_t)lanes * sizeof(float));
        }
    }
}

/* What every chunk of a forward reads. */
typedef struct {
    float* y;
    const float *x, *packed, *bias16, *residual;
    const wino_geom* g;
    int64_t th, tw, tiles, cs, panels, ms, vplane, mplane, bplane; /* ξ strides of V, M and packed */
    int chunk;
} fwd_job;

/* Prefetches the c channels of the pixels (h0 + i, w0 + c0 + j), i < rows, j < cols, of sample
 * n of an (h, w, c) map that lie inside it: a Winograd tile's pixels that its left neighbour did
 * not read (columns 2.. of the α×α input window, all of a weight gradient's m×m dy tile). The
 * transforms' loads of an activation from far back (in training, the forward pass's) would
 * otherwise wait on memory line by line. */
INLINE void prefetch_pixels(const float* x, int64_t n, int64_t h0, int64_t w0, int rows, int cols, int64_t h,
                            int64_t w, int64_t c) {
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            int64_t hi = h0 + i, wi = w0 + j;
            if (hi < 0 || hi >= h || wi < 0 || wi >= w) continue;
            const char* p = (const char*)(x + ((n * h + hi) * w + wi) * c);
            for (int64_t b = 0; b < c * (int64_t)sizeof(float); b += 64) __builtin_prefetch(p + b, 0, 3);
        }
}

/* The input pixels of a forward tile that its left neighbour does not read. */
INLINE void prefetch_input(int m, const float* x, const wino_geom* g, int64_t tile, int64_t tw, int64_t thw) {
    const int64_t n = tile / thw, r = tile % thw;
    prefetch_pixels(x, n, (r / tw) * m - g->pad, (r % tw) * m - g->pad + 2, m + 2, m, g->h, g->w, g->cin);
}

/* One chunk of tiles: transform in, α² GEMMs, transform out. Inlined with a literal m so the
 * transforms unroll (OpenMP outlines its regions before inlining, so m must be literal here). */
INLINE void forward_chunk(int m, const fwd_job* j, float* v, float* mm, int64_t ch) {
    const int al = m + 2, xi = al * al, chunk = j->chunk;
    const wino_geom* g = j->g;
    const int64_t t0 = ch * chunk, tw = j->tw, thw = j->th * j->tw, cs = j->cs, ms = j->ms;
    const int cnt = (int)min64(chunk, j->tiles - t0);
    for (int t = 0; t < cnt; t++) {
        int64_t tile = t0 + t, n = tile / thw, r = tile % thw;
        const float* px[AMAX * AMAX];
        tile_pixels(al, px, j->x, n, (r / tw) * m - g->pad, (r % tw) * m - g->pad, g->h, g->w, g->cin);
        if (t == 0 && cnt > 1) prefetch_input(m, j->x, g, tile + 1, tw, thw);
        if (t + 2 < cnt) prefetch_input(m, j->x, g, tile + 2, tw, thw); /* two ahead: a tile of 32 channels is short */
        input_transform(m, v + t * cs, j->vplane, px, g->cin);
    }
    /* two panels per tile where two remain (d4j_tile_6x32); M's rows are padded to whole panels */
    for (int p = 0; p < xi; p++)
        for (int64_t pj = 0; pj < j->panels; pj += 2) {
            const float* bj = j->packed + p * j->bplane + pj * g->cin * 16;
            const int two = pj + 1 < j->panels;
            for (int t = 0; t < cnt; t += D4J_TILE_M) {
                int rows = cnt - t < D4J_TILE_M ? cnt - t : D4J_TILE_M;
                const float* a[D4J_TILE_M];
                float* c[D4J_TILE_M];
                for (int i = 0; i < D4J_TILE_M; i++) {
                    int64_t row = t + (i < rows ? i : 0); /* padding repeats row 0 */
                    a[i] = v + p * j->vplane + row * cs;
                    c[i] = mm + p * j->mplane + row * ms + pj * 16;
                }
                if (two) d4j_tile_6x32(1, a, g->cin, bj, bj + g->cin * 16, c, rows, 16, NULL, 0);
                else d4j_tile_6x16(1, a, g->cin, bj, c, rows, 16, NULL, 0);
            }
        }
    for (int t = 0; t < cnt; t++) {
        int64_t tile = t0 + t, n = tile / thw, r = tile % thw;
        for (int64_t co = 0; co < g->cout; co += WV)
            output_transform(m, j->y, j->residual, g, n, (r / tw) * m, (r % tw) * m, mm + t * ms + co, j->mplane, j->bias16 + co,
                             co);
    }
}

static int wino_forward(int m, float* y, const float* x, const float* packed, const float* bias,
                        const float* residual, const wino_geom* g) {
    const int xi = (m + 2) * (m + 2);
    fwd_job j = {y, x, packed, NULL, residual, g, ceil_div(g->ho, m), ceil_div(g->wo, m), 0, ceil_div(g->cin, WV) * WV,
                 ceil_div(g->cout, 16), 0, 0, 0, 0, 0};
    j.tiles = g->n * j.th * j.tw;
    j.ms = j.panels * 16;
    j.chunk = chunk_tiles(xi, j.cs, j.ms);
    j.vplane = j.chunk * j.cs + PLANE_SKEW;
    j.mplane = j.chunk * j.ms + PLANE_SKEW;
    j.bplane = packed_plane(g->cin, g->cout);
    const int64_t chunks = ceil_div(j.tiles, j.chunk);
    const size_t per_thread = (size_t)xi * (j.vplane + j.mplane);
    const int threads = d4j_split_threads(j.tiles * xi * g->cin * g->cout, chunks);
    float* scratch = alloc_floats((size_t)threads * per_thread);
    float* bias16 = alloc_floats((size_t)j.ms);
    if (!scratch || !bias16) {
        free(scratch); free(bias16);
        return -1;
    }
    for (int64_t c = 0; c < j.ms; c++) bias16[c] = bias && c < g->cout ? bias[c] : 0.0f;
    j.bias16 = bias16;

#pragma omp parallel num_threads(threads) if (threads > 1)
    {
        float* v = scratch + (size_t)d4j_thread_num() * per_thread; /* V[ξ][tile][cs] */
        float* mm = v + (size_t)xi * j.vplane;                  /* M[ξ][tile][ms] */
#pragma omp for schedule(dynamic, 1)
        for (int64_t ch = 0; ch < chunks; ch++) {
            if (m == 2) forward_chunk(2, &j, v, mm, ch);
            else forward_chunk(4, &j, v, mm, ch);
        }
    }
    free(scratch);
    free(bias16);
    return 0;
}

/* Runs the forward kernel specialised for tile size m. */
static int forward_m(int m, float* y, const float* x, const float* w, const float* bias, const float* residual,
                     const wino_geom* g, int64_t cin, int64_t cout, int flipped) {
    const int64_t kout = flipped ? cin : cout, kin = flipped ? cout : cin;
    float* packed = alloc_floats((size_t)((m + 2) * (m + 2) * packed_plane(kin, kout)));
    if (!packed) return -1;
    int rc = pack_weights(m, packed, w, cin, cout, flipped);
    if (rc == 0) rc = wino_forward(m, y, x, packed, bias, residual, g);
    free(packed);
    return rc;
}

int D4J_CPU(conv2d_winograd_forward)(float* y, const float* x, const float* w, const float* bias,
                                      const float* residual, const d4j_conv_shape* s, int m) {
    wino_geom g = {s->n, s->h, s->w, s->cin, s->ho, s->wo, s->cout, s->pad};
    return forward_m(m, y, x, w, bias, residual, &g, s->cin, s->cout, 0);
}

/* dx[h, w, ci] = Σ dy[h + pad - a, w + pad - b, co] · w[a, b, ci, co]: a convolution of dy with
 * the flipped, channel-swapped kernel and pad 2 - pad, whose output is H × W again. */
int D4J_CPU(conv2d_winograd_backward_data)(float* dx, const float* dy, const float* w, const d4j_conv_shape* s,
                                            int m) {
    wino_geom g = {s->n, s->ho, s->wo, s->cout, s->h, s->w, s->cin, 2 - s->pad};
    return forward_m(m, dx, dy, w, NULL, NULL, &g, s->cin, s->cout, 1);
}

/* ---- backward weights ---------------------------------------------------------------------- */

/* e[ξ · es] = (A dY Aᵀ)[ξ] for WV channels from co of the m×m dy tile at (oh0, ow0), zero outside
 * the output; *db += the tile's pixels (the bias gradient: tiles partition the output). */
INLINE void dy_transform(int m, float* e, int64_t es, wvec* db, const float* dy, const d4j_conv_shape* s,
                         int64_t n, int64_t oh0, int64_t ow0, int64_t co) {
    const int al = m + 2;
    wvec d[4][4], r[4][AMAX], col[4], o[AMAX];
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++) {
            int inside = oh0 + i < s->ho && ow0 + j < s->wo;
            loadw(&d[j][i], inside ? dy + ((n * s->ho + oh0 + i) * s->wo + ow0 + j) * s->cout : NULL, co, s->cout);
            *db += d[j][i];
        }
    for (int j = 0; j < m; j++) a_(m, r[j], d[j]); /* r[j] = A (column j of dY) */
    for (int i = 0; i < al; i++) {                 /* row i of (A dY) Aᵀ */
        for (int j = 0; j < m; j++) col[j] = r[j][i];
        a_(m, o, col);
        for (int j = 0; j < al; j++) *(wvecu*)(e + (i * al + j) * es) = o[j];
    }
}

/* dw[a][b][ci][co] += (Gᵀ dU G)[a][b] for every channel pair, dU[ξ][ci][co] = Σ_t du_t (the
 * threads' partials, du_t = du + t · stride, added in thread order); WV pairs at a time, split
 * over the threads. */
static void weight_grad_transform(int m, float* dw, const float* du, size_t stride, int parts, int64_t cin,
                                  int64_t cout) {
    const int al = m + 2, xi = al * al;
    const int64_t pairs = cin * cout;
#pragma omp parallel for if (pairs * xi * parts >= D4J_CPU_PARALLEL_MIN)
    for (int64_t p = 0; p < pairs; p += WV) {
        wvec d[AMAX][AMAX], r[AMAX][3], o[3];
        for (int q = 0; q < xi; q++) {
            wvec sum, part;
            loadw(&sum, du + q * pairs, p, pairs);
            for (int t = 1; t < parts; t++) {
                loadw(&part, du + t * stride + q * pairs, p, pairs);
                sum += part;
            }
            d[q % al][q / al] = sum; /* d[col][row] */
        }
        for (int j = 0; j < al; j++) gt(m, r[j], d[j]); /* r[j][a] = (Gᵀ dU)[a][j] */
        const int64_t lanes = min64(WV, pairs - p);
        for (int a = 0; a < 3; a++) {
            wvec row[AMAX];
            for (int j = 0; j < al; j++) row[j] = r[j][a];
            gt(m, o, row); /* o[b] = ((Gᵀ dU) G)[a][b] */
            for (int b = 0; b < 3; b++) {
                float* dst = dw + (a * 3 + b) * pairs + p;
                if (lanes == WV) *(wvecu*)dst += o[b];
                else for (int64_t l = 0; l < lanes; l++) dst[l] += o[b][l];
            }
        }
    }
}

/* What every chunk of a weight gradient reads. */
typedef struct {
    const float *dy, *x;
    const d4j_conv_shape* s;
    int64_t th, tw, tiles, cs, es, vplane, eplane; /* vplane, eplane: ξ strides of V and E */
    int chunk;
} wgrad_job;

/* The x and dy pixels of a weight-gradient tile that its left neighbour does not read. */
INLINE void prefetch_tile(int m, const wgrad_job* j, int64_t tile) {
    const d4j_conv_shape* s = j->s;
    const int64_t thw = j->th * j->tw, n = tile / thw, r = tile % thw, oh0 = (r / j->tw) * m, ow0 = (r % j->tw) * m;
    prefetch_pixels(j->x, n, oh0 - s->pad, ow0 - s->pad + 2, m + 2, m, s->h, s->w, s->cin);
    prefetch_pixels(j->dy, n, oh0, ow0, m, m, s->ho, s->wo, s->cout);
}

/* One chunk of tiles: transform x and dy, accumulate the α² products into du and the chunk's
 * Σ dy into db (through cdb, so the bias sum is a sum of chunk sums: a long float sum of one
 * channel loses digits where its terms cancel). Inlined with a literal m (see forward_chunk). */
INLINE void wgrad_chunk(int m, const wgrad_job* j, float* v, float* e, float* du, float* db, float* cdb,
                        int64_t ch) {
    const int al = m + 2, xi = al * al, chunk = j->chunk;
    const d4j_conv_shape* s = j->s;
    const int64_t t0 = ch * chunk, tw = j->tw, thw = j->th * j->tw, cs = j->cs, es = j->es;
    const int cnt = (int)min64(chunk, j->tiles - t0);
    memset(cdb, 0, (size_t)es * sizeof(float));
    for (int t = 0; t < cnt; t++) {
        int64_t tile = t0 + t, n = tile / thw, r = tile % thw;
        int64_t oh0 = (r / tw) * m, ow0 = (r % tw) * m;
        const float* px[AMAX * AMAX];
        tile_pixels(al, px, j->x, n, oh0 - s->pad, ow0 - s->pad, s->h, s->w, s->cin);
        if (t == 0 && cnt > 1) prefetch_tile(m, j, tile + 1);
        if (t + 2 < cnt) prefetch_tile(m, j, tile + 2);
        input_transform(m, v + t * cs, j->vplane, px, s->cin);
        for (int64_t co = 0; co < s->cout; co += WV) {
            wvec acc = *(wvecu*)(cdb + co);
            dy_transform(m, e + t * es + co, j->eplane, &acc, j->dy, s, n, oh0, ow0, co);
            *(wvecu*)(cdb + co) = acc;
        }
    }
    for (int64_t co = 0; co < es; co++) db[co] += cdb[co];
    for (int p = 0; p < xi; p++) {
        wgrad_run run = {v + p * j->vplane, e + p * j->eplane, cnt};
        wgrad_runs(du + p * s->cin * s->cout, &run, 1, s->cin, s->cout, cs, es);
    }
}

int D4J_CPU(conv2d_winograd_backward_weights)(float* dw, float* dbias, const float* dy, const float* x,
                                               const d4j_conv_shape* s, int m) {
    const int xi = (m + 2) * (m + 2);
    wgrad_job j = {dy, x, s, ceil_div(s->ho, m), ceil_div(s->wo, m), 0, ceil_div(s->cin, WV) * WV,
                   ceil_div(s->cout, WV) * WV, 0, 0, 0};
    j.tiles = s->n * j.th * j.tw;
    j.chunk = chunk_tiles(xi, j.cs, j.es);
    j.vplane = j.chunk * j.cs + PLANE_SKEW;
    j.eplane = j.chunk * j.es + PLANE_SKEW;
    const int64_t chunks = ceil_div(j.tiles, j.chunk), usize = xi * s->cin * s->cout, upad = ceil_div(usize, WV) * WV;
    /* per thread: V[ξ][tile][cs], E[ξ][tile][es], partial dU[ξ][ci][co] (padded to whole vectors),
     * partial dbias[es], a chunk's dbias[es]; every part starts 32-byte aligned */
    const size_t tdata = (size_t)xi * (j.vplane + j.eplane), per_thread = tdata + (size_t)(upad + 2 * j.es);
    const int threads = d4j_split_threads(j.tiles * usize, chunks);
    float* scratch = alloc_floats((size_t)threads * per_thread);
    if (!scratch) return -1;
    for (int t = 0; t < threads; t++) /* the partials and chunk sums; V and E are written before use */
        memset(scratch + (size_t)t * per_thread + tdata, 0, (size_t)(upad + 2 * j.es) * sizeof(float));

    /* each thread sums a fixed range of chunks (thread_split.h); untouched partials stay zero */
#pragma omp parallel num_threads(threads) if (threads > 1)
    {
        int64_t ch0, ch1;
        float* v = scratch + (size_t)d4j_split_range(chunks, &ch0, &ch1) * per_thread;
        float* e = v + (size_t)xi * j.vplane;
        float* du = v + tdata;
        float* db = du + upad;
        float* cdb = db + j.es;
        for (int64_t ch = ch0; ch < ch1; ch++) {
            if (m == 2) wgrad_chunk(2, &j, v, e, du, db, cdb, ch);
            else wgrad_chunk(4, &j, v, e, du, db, cdb, ch);
        }
    }
    const float* du0 = scratch + tdata;
    weight_grad_transform(m, dw, du0, per_thread, threads, s->cin, s->cout);
    if (dbias)
        for (int64_t co = 0; co < s->cout; co++) {
            float sum = du0[upad + co];
            for (int t = 1; t < threads; t++) sum += du0[(size_t)t * per_thread + upad + co];
            dbias[co] += sum;
        }
    free(scratch);
    return 0;
}
