/* Helper threads for the native kernels (pool.c). */
#ifndef EBMJS_POOL_H
#define EBMJS_POOL_H
#include <stdint.h>

/* A kernel's work over units [lo, hi) (output pixels, or row tiles of a filter gradient). */
typedef void (*pool_fn)(void *ctx, int32_t lo, int32_t hi);

/* Runs fn over [first, last), split between the calling thread and the helpers into parts whose
 * boundaries are multiples of `align` units from `first` (whole kernel tiles), when `work`
 * (multiply-adds) is worth a wake-up; else on the calling thread alone. */
void pool_run(pool_fn fn, void *ctx, int32_t first, int32_t last, int32_t align, int64_t work);

/* Uses n threads in all (the calling one and n - 1 helpers, started or stopped here), 1 to
 * POOL_MAX; returns the number now in use. */
int pool_set_threads(int n);

#define POOL_MAX 16
#endif
