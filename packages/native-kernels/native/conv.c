/*
 * Native convolution kernels for @ebmjs/tensor-backend's wasm convolutions (kernels/wasm-conv-fma.ts).
 *
 * The same five functions, arguments and memory layout as the wasm module that
 * packages/tensor-backend/wat/conv.mjs generates ("pad", "conv", "conv4", "conv1", "fgrad"), but
 * for "conv"'s filter panels of 16 channels instead of 8: they run on tfjs's wasm heap (byte
 * offsets into it; addon.c passes its ArrayBuffer), so the JavaScript side (filter packing and
 * caching, padding scratch, sub-pixel phases of the input gradient) is shared with the wasm
 * kernels. What differs is the width, 8- and 16-float vectors instead of wasm's 4, and fused
 * multiply-adds wherever the CPU has them (x86-64-v4 / v3 / baseline versions chosen at load
 * time), whatever the JavaScript engine supports. addon.c splits a call's pixel range between
 * threads (pool.c).
 *
 * Summation order per output value is the wasm kernels': bias first, then the taps in the packed
 * filter's order (ky, kx, ci); only the rounding of each multiply-add can differ.
 */
#include "conv.h"

#include <string.h>

#include "simd.h"

#define F(base, off) ((float *)((base) + (off)))

/* Position (b, oy, ox) of a pixel of the flattened [n, oh, ow] output grid, stepped one pixel at
 * a time (a division per pixel cost as much as the arithmetic of a small tile). */
typedef struct {
  int32_t b, oy, ox;
} pixel;

static inline pixel pixel_at(const geom *g, int32_t p) {
  int32_t per_img = g->oh * g->ow, rem = p % per_img;
  pixel q = {p / per_img, rem / g->ow, rem % g->ow};
  return q;
}

/* The input-window and output pointers of the `count` pixels from *at (the last pixel of the grid
 * again past its end: a partial tile computes it again and stores nothing there); *at moves on by
 * the pixels that exist. `pch`: byte offset of the panel's channels in an output pixel. */
static inline void tile_ptrs(uint8_t *heap, int32_t x, int32_t out, const geom *g, pixel *at,
                             int32_t p, int32_t total, int32_t pch, const float **pa, float **po,
                             int count) {
  for (int r = 0; r < count; r++) {
    pa[r] = F(heap, x) + ((at->b * g->hp + at->oy * g->sh) * g->wp + at->ox * g->sw) * g->cin;
    po[r] = F(heap, out + at->b * g->oimg + at->oy * g->orow + at->ox * g->opix + pch);
    if (p + r + 1 < total && ++at->ox == g->ow) {
      at->ox = 0;
      if (++at->oy == g->oh) {
        at->oy = 0;
        at->b++;
      }
    }
  }
}

/* "conv" / "conv4" body: panels of LANES output channels (16 for "conv": one AVX-512 register,
 * two AVX registers; 4 for "conv4"), tiles of MR pixels, blocks of BLOCK pixels whose input
 * windows stay in cache for all panels. */
#define CONV_BODY(VT, SPLAT, LANES, MR, BLOCK)                                                           \
  int32_t total = g->n * g->oh * g->ow;                                                           \
  int32_t panels = (g->cout + LANES - 1) / LANES;                                                 \
  int32_t K = g->kh * g->kw * g->cin;                                                             \
  int32_t rowStride = g->dh * g->wp * g->cin;                                                     \
  int32_t runs = g->dw == 1 ? 1 : g->kw, run = g->dw == 1 ? g->kw * g->cin : g->cin;              \
  int32_t runStep = g->dw * g->cin;                                                               \
  const float *wbase = F(heap, w);                                                                \
  const float *bbase = F(heap, bias);                                                             \
  pixel blockAt = pixel_at(g, first);                                                             \
  for (int32_t p0 = first; p0 < last; p0 += BLOCK) {                                              \
    int32_t pEnd = p0 + BLOCK < last ? p0 + BLOCK : last;                                         \
    pixel at = blockAt;                                                                           \
    for (int32_t panel = 0; panel < panels; panel++) {                                            \
      const float *w0 = wbase + (size_t)panel * K * LANES;                                        \
      VT bias0 = *(const VT *)(bbase + panel * LANES);                                            \
      /* channels stored: the last panel may hold fewer than LANES (cout % 4 == 0) */            \
      int32_t width = g->cout - panel * LANES < LANES ? g->cout - panel * LANES : LANES;          \
      at = blockAt;                                                                               \
      for (int32_t p = p0; p < pEnd; p += MR) {                                                   \
        const float *pa[MR];                                                                      \
        float *po[MR];                                                                            \
        tile_ptrs(heap, x, out, g, &at, p, total, panel * LANES * 4, pa, po, MR);                 \
        VT c[MR];                                                                                 \
        for (int r = 0; r < MR; r++) c[r] = bias0;                                                \
        const float *f = w0;                                                                      \
        for (int32_t ky = 0; ky < g->kh; ky++) {                                                  \
          int32_t off = ky * rowStride;                                                           \
          for (int32_t kx = 0; kx < runs; kx++, off += runStep) {                                 \
            const float *q[MR];                                                                   \
            for (int r = 0; r < MR; r++) q[r] = pa[r] + off;                                      \
            for (int32_t k = 0; k < run; k++) {                                                   \
              VT b = *(const VT *)(f + k * LANES);                                                \
              for (int r = 0; r < MR; r++) c[r] += SPLAT(q[r][k]) * b;                        \
            }                                                                                     \
            f += run * LANES;                                                                     \
          }                                                                                       \
        }                                                                                         \
        int32_t rows = total - p < MR ? total - p : MR;                                           \
        for (int r = 0; r < rows; r++) memcpy(po[r], &c[r], width * 4);                           \
      }                                                                                           \
    }                                                                                             \
    blockAt = at;                                                                                 \
  }

/* "conv": 16-channel panels. Tile heights by instruction set: 8 zmm accumulators with AVX-512 (the
 * FMA latency times two ports; more pixels ran out of general registers for their pointers), 12
 * ymm with AVX2, 8 xmm with SSE. */
#ifdef EBMJS_X86_VERSIONS
__attribute__((target("arch=x86-64-v4"))) static void conv16_v4(CONV_ARGS) { CONV_BODY(v16, splat16, 16, 8, 48) }
__attribute__((target("arch=x86-64-v3"))) static void conv16_v3(CONV_ARGS) { CONV_BODY(v16, splat16, 16, 6, 48) }
static void conv16_base(CONV_ARGS) { CONV_BODY(v16, splat16, 16, 2, 48) }
void conv16(CONV_ARGS) {
  int level = isa_level();
  if (level == 4) conv16_v4(heap, x, w, bias, out, g, first, last);
  else if (level == 3) conv16_v3(heap, x, w, bias, out, g, first, last);
  else conv16_base(heap, x, w, bias, out, g, first, last);
}
#else
void conv16(CONV_ARGS) { CONV_BODY(v16, splat16, 16, 6, 48) }
#endif

/* "conv4": 4-channel panels (a 4-channel output), tiles of 8 pixels. */
CLONES void conv4(CONV_ARGS) { CONV_BODY(v4, splat4, 4, 8, 64) }

/* "conv1": one output channel, the filter unpacked [kh, kw, cin], cin % 4 == 0: per pixel a dot
 * product over the window, 8 floats at a time (a last 4 zero-extended to 8), tiles of 8 pixels
 * (8 independent accumulators: the multiply-add latency times two ports). */
CLONES void conv1(CONV_ARGS) {
  enum { PR = 8 };
  int32_t total = g->n * g->oh * g->ow;
  int32_t rowStride = g->dh * g->wp * g->cin;
  int32_t runs = g->dw == 1 ? 1 : g->kw, run = g->dw == 1 ? g->kw * g->cin : g->cin;
  int32_t runStep = g->dw * g->cin;
  float bv = *F(heap, bias);
  const float *wbase = F(heap, w);
  const v4 zero4 = {0, 0, 0, 0};
  pixel at = pixel_at(g, first);
  for (int32_t p = first; p < last; p += PR) {
    const float *pa[PR];
    float *po[PR];
    tile_ptrs(heap, x, out, g, &at, p, total, 0, pa, po, PR);
    v8 c[PR];
    for (int r = 0; r < PR; r++) c[r] = (v8){0};
    const float *f = wbase;
    for (int32_t ky = 0; ky < g->kh; ky++) {
      int32_t off = ky * rowStride;
      for (int32_t kx = 0; kx < runs; kx++, off += runStep) {
        int32_t k = 0;
        for (; k + 8 <= run; k += 8) {
          v8 wv = *(const v8 *)(f + k);
          for (int r = 0; r < PR; r++) c[r] += *(const v8 *)(pa[r] + off + k) * wv;
        }
        if (k < run) {
          v8 wv = __builtin_shufflevector(*(const v4 *)(f + k), zero4, 0, 1, 2, 3, 4, 5, 6, 7);
          for (int r = 0; r < PR; r++) {
            v8 xv = __builtin_shufflevector(*(const v4 *)(pa[r] + off + k), zero4, 0, 1, 2, 3, 4, 5, 6, 7);
            c[r] += xv * wv;
          }
        }
        f += run;
      }
    }
    int32_t rows = total - p < PR ? total - p : PR;
    for (int r = 0; r < rows; r++) {
      /* lane sums as a tree: halves, then pairs */
      v4 h = __builtin_shufflevector(c[r], c[r], 0, 1, 2, 3) +
             __builtin_shufflevector(c[r], c[r], 4, 5, 6, 7);
      *po[r] = bv + ((h[0] + h[2]) + (h[1] + h[3]));
    }
  }
}

/* "fgrad": dw[row, co] = sum_p x[tab[p] + window offset of row] dy[p, co] for the row tiles
 * [first, last) (4 rows a tile; a row is (ky, kx, ci)), cout % 8 == 0, in chunks of pixels. */
CLONES void fgrad(uint8_t *heap, int32_t x, int32_t dy, int32_t out, int32_t tab,
                         int32_t total, int32_t wp, int32_t cin, int32_t cout, int32_t kh,
                         int32_t kw, int32_t dh, int32_t dw, int32_t chunk, int32_t first,
                         int32_t last) {
  int32_t rows = kh * kw * cin, panels = cout / 8;
  const int32_t *offs = (const int32_t *)(heap + tab);
  const float *dyb = F(heap, dy);
  float *ob = F(heap, out);
  for (int32_t p0 = 0; p0 < total; p0 += chunk) {
    int32_t p1 = p0 + chunk < total ? p0 + chunk : total;
    for (int32_t tile = first; tile < last; tile++) {
      const uint8_t *pa[4];
      for (int r = 0; r < 4; r++) {
        int32_t row = tile * 4 + r < rows ? tile * 4 + r : rows - 1;
        int32_t c = row % cin, t = row / cin;
        pa[r] = heap + x + (((t / kw) * dh * wp + (t % kw) * dw) * cin + c) * 4;
      }
      for (int32_t panel = 0; panel < panels; panel += 2) {
        int two = panel + 1 < panels;
        float *po = ob + (size_t)tile * 4 * cout + panel * 8;
        v8 c0[4], c1[4];
        for (int r = 0; r < 4; r++) {
          if (p0 == 0) {
            c0[r] = (v8){0};
            c1[r] = (v8){0};
          } else {
            c0[r] = *(const v8 *)(po + r * cout);
            c1[r] = two ? *(const v8 *)(po + r * cout + 8) : (v8){0};
          }
        }
        const float *pdy = dyb + (size_t)p0 * cout + panel * 8;
        for (int32_t p = p0; p < p1; p++, pdy += cout) {
          int32_t off = offs[p];
          v8 w0 = *(const v8 *)pdy;
          v8 w1 = two ? *(const v8 *)(pdy + 8) : (v8){0};
          for (int r = 0; r < 4; r++) {
            v8 a = splat8(*(const float *)(pa[r] + off));
            c0[r] += a * w0;
            if (two) c1[r] += a * w1;
          }
        }
        for (int r = 0; r < 4; r++) {
          if (tile * 4 + r >= rows) break;
          memcpy(po + r * cout, &c0[r], 32);
          if (two) memcpy(po + r * cout + 8, &c1[r], 32);
        }
      }
    }
  }
}

/* "pad": dst [n, hp, wp, c] = x [n, h, w, c] placed at row top, column left, zeros around it. */
void pad(uint8_t *heap, int32_t x, int32_t dst, int32_t n, int32_t h, int32_t w, int32_t c,
                int32_t hp, int32_t wp, int32_t top, int32_t left) {
  size_t rowBytes = (size_t)w * c * 4, dstRowBytes = (size_t)wp * c * 4, leftBytes = (size_t)left * c * 4;
  const uint8_t *src = heap + x;
  uint8_t *d = heap + dst;
  for (int32_t r = 0; r < n * hp; r++, d += dstRowBytes) {
    int32_t y = r % hp - top;
    if (y >= 0 && y < h) {
      memset(d, 0, leftBytes);
      memcpy(d + leftBytes, src, rowBytes);
      memset(d + leftBytes + rowBytes, 0, dstRowBytes - leftBytes - rowBytes);
      src += rowBytes;
    } else {
      memset(d, 0, dstRowBytes);
    }
  }
}

