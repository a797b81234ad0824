/* What the kernels share: GCC/Clang vector types, broadcasts, and the x86-64 versions (conv.c,
 * activations.c, addon.c). */
#ifndef EBMJS_SIMD_H
#define EBMJS_SIMD_H
#include <stdint.h>

typedef float v4 __attribute__((vector_size(16), aligned(4)));
typedef float v8 __attribute__((vector_size(32), aligned(4)));
typedef float v16 __attribute__((vector_size(64), aligned(4)));

/* Broadcasts, as macros: an inline function of the default target would not be inlined into the
 * AVX versions (10x slower). (`(v){} + s` would add 0.0 first: not an identity for -0.0, so it is
 * not folded.) */
#define splat4(s) ({ float s_ = (s); (v4){s_, s_, s_, s_}; })
#define splat8(s) ({ float s_ = (s); (v8){s_, s_, s_, s_, s_, s_, s_, s_}; })
#define splat16(s) ({ float s_ = (s); (v16){s_, s_, s_, s_, s_, s_, s_, s_, s_, s_, s_, s_, s_, s_, s_, s_}; })

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define EBMJS_X86_VERSIONS 1
/* A function built for AVX-512, AVX2 + FMA and baseline x86-64, the best picked at load time. */
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

/* 4 (x86-64-v4: AVX-512), 3 (x86-64-v3: AVX2 + FMA) or 0: which versions run on this CPU. */
static inline int isa_level(void) {
  static int level = -1;
  if (level < 0) {
    __builtin_cpu_init();
    level = __builtin_cpu_supports("x86-64-v4") ? 4 : __builtin_cpu_supports("x86-64-v3") ? 3 : 0;
  }
  return level;
}
#else
#define CLONES
#endif

#endif
