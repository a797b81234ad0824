/* The convolution kernels (conv.c): the functions of tensor-backend's wasm module
 * (packages/tensor-backend/wat/conv.mjs), on a heap given as bytes, with byte offsets. */
#ifndef EBMJS_CONV_H
#define EBMJS_CONV_H
#include <stdint.h>

/* A convolution's geometry, in the wasm module's argument order (see wat/conv.mjs). */
typedef struct {
  int32_t n, hp, wp, cin, oh, ow, cout, kh, kw, sh, sw, dh, dw, oimg, orow, opix;
} geom;

#define CONV_ARGS                                                                                 \
  uint8_t *heap, int32_t x, int32_t w, int32_t bias, int32_t out, const geom *g, int32_t first,   \
      int32_t last

/* "conv" (16-channel filter panels here: the wasm module's have 8), "conv4", "conv1". */
void conv16(CONV_ARGS);
void conv4(CONV_ARGS);
void conv1(CONV_ARGS);
void fgrad(uint8_t *heap, int32_t x, int32_t dy, int32_t out, int32_t tab, int32_t total,
           int32_t wp, int32_t cin, int32_t cout, int32_t kh, int32_t kw, int32_t dh, int32_t dw,
           int32_t chunk, int32_t first, int32_t last);
void pad(uint8_t *heap, int32_t x, int32_t dst, int32_t n, int32_t h, int32_t w, int32_t c,
         int32_t hp, int32_t wp, int32_t top, int32_t left);
#endif
