/*
 * Swish and sigmoid for @ebmjs/tensor-backend's wasm activation kernels (kernels/wasm-activations.ts),
 * native: the wasm module's three functions (`sigmoid`, `swish`, `swish_grad`) with the same
 * arguments (byte offsets on tfjs's heap, an element count) and the same arithmetic as its
 * fused multiply-add variant (packages/tensor-backend/wat/activations.mjs: Cephes' expf with a
 * degree-7 polynomial, 2^n through the exponent bits, exactly 0 below x = -80), 16 floats at a time.
 */
#include "activations.h"

#include <string.h>

#include "simd.h"

typedef int32_t i16v __attribute__((vector_size(64), aligned(4)));

#define SPLAT(s) splat16(s)
#define AS_I(v) ((i16v)(v))
#define AS_F(v) ((v16)(v))
/* a where mask m (all ones), else b */
#define SELECT(m, a, b) AS_F((AS_I(a) & (m)) | (AS_I(b) & ~(m)))

/* sigmoid(v), as the wasm kernels compute it (wat/activations.mjs), for 16 lanes. A macro: an
 * inline function of the default target is not inlined into the AVX clones. */
#define SIGMOID16(v, out)                                                                         \
  do {                                                                                            \
    v16 z_ = -(v);                                                                                \
    /* pmax / pmin: a NaN first operand stays NaN */                                             \
    z_ = SELECT(z_ < SPLAT(-87.0f), SPLAT(-87.0f), z_);                                           \
    z_ = SELECT(SPLAT(88.0f) < z_, SPLAT(88.0f), z_);                                             \
    v16 n_ = z_ * SPLAT(1.44269504088896341f) + SPLAT(12583039.0f);                               \
    v16 p_ = AS_F(AS_I(n_) << 23);                                                                \
    n_ = n_ - SPLAT(12583039.0f);                                                                 \
    v16 r_ = z_ - n_ * SPLAT(0.693359375f);                                                       \
    r_ = r_ - n_ * SPLAT(-2.12194440e-4f);                                                        \
    v16 r2_ = r_ * r_;                                                                            \
    v16 e_ = ((SPLAT(1.9875691500e-4f) * r_ + SPLAT(1.3981999507e-3f)) * r2_ +                   \
              (SPLAT(8.3334519073e-3f) * r_ + SPLAT(4.1665795894e-2f))) * r2_ +                  \
             (SPLAT(1.6666665459e-1f) * r_ + SPLAT(5.0000001201e-1f));                            \
    e_ = e_ * r2_ + (r_ + SPLAT(1.0f));                                                           \
    v16 s_ = SPLAT(1.0f) / (e_ * p_ + SPLAT(1.0f));                                               \
    (out) = AS_F(AS_I(s_) & ~((v) < SPLAT(-80.0f)));                                              \
  } while (0)

/* Loads lanes [i, i + 16) of a (zeros past count), stores lanes of v back the same way. */
#define LOAD16(a, i, count, dst)                                                                  \
  do {                                                                                            \
    if ((i) + 16 <= (count)) {                                                                    \
      memcpy(&(dst), (a) + (i), 64);                                                              \
    } else {                                                                                      \
      (dst) = (v16){0};                                                                           \
      memcpy(&(dst), (a) + (i), ((count) - (i)) * 4);                                             \
    }                                                                                             \
  } while (0)
#define STORE16(a, i, count, v)                                                                   \
  memcpy((a) + (i), &(v), ((i) + 16 <= (count) ? 16 : (count) - (i)) * 4)

CLONES void sigmoid_range(const float *x, float *out, int32_t lo, int32_t hi) {
  for (int32_t i = lo; i < hi; i += 16) {
    v16 v, s;
    LOAD16(x, i, hi, v);
    SIGMOID16(v, s);
    STORE16(out, i, hi, s);
  }
}

CLONES void swish_range(const float *x, float *y, float *s_out, int32_t lo, int32_t hi) {
  for (int32_t i = lo; i < hi; i += 16) {
    v16 v, s;
    LOAD16(x, i, hi, v);
    SIGMOID16(v, s);
    v16 yv = v * s;
    STORE16(s_out, i, hi, s);
    STORE16(y, i, hi, yv);
  }
}

CLONES void swish_grad_range(const float *dy, const float *y, const float *s_in, float *dx,
                             int32_t lo, int32_t hi) {
  /* dx = dy (s + y (1 - s)) */
  for (int32_t i = lo; i < hi; i += 16) {
    v16 d, yv, s;
    LOAD16(dy, i, hi, d);
    LOAD16(y, i, hi, yv);
    LOAD16(s_in, i, hi, s);
    v16 g = d * (yv * (SPLAT(1.0f) - s) + s);
    STORE16(dx, i, hi, g);
  }
}
