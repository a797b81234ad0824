/* Swish and sigmoid over element ranges [lo, hi) of float arrays (activations.c). */
#ifndef EBMJS_ACTIVATIONS_H
#define EBMJS_ACTIVATIONS_H
#include <stdint.h>

void sigmoid_range(const float *x, float *out, int32_t lo, int32_t hi);
void swish_range(const float *x, float *y, float *s, int32_t lo, int32_t hi);
void swish_grad_range(const float *dy, const float *y, const float *s, float *dx, int32_t lo,
                      int32_t hi);
#endif
