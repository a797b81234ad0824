/*
 * The addon's N-API surface: each kernel as a function of the wasm heap's ArrayBuffer and the wasm
 * module's int32 arguments; helper-thread splitting (pool.c) of the larger calls; setThreads, isa.
 */
#include <node_api.h>
#include <stdint.h>

#include "activations.h"
#include "conv.h"
#include "pool.h"
#include "simd.h"

#define MAX_ARGS 24

/* Reads the heap and `count` int32 arguments; returns the heap's bytes or NULL (a JS error thrown). */
static uint8_t *args_of(napi_env env, napi_callback_info info, size_t count, int32_t *out) {
  size_t argc = MAX_ARGS;
  napi_value argv[MAX_ARGS];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc != count + 1) {
    napi_throw_type_error(env, "E_INVALID_ARGUMENT", "@ebmjs/native-kernels: wrong argument count");
    return NULL;
  }
  void *data = NULL;
  size_t length = 0;
  if (napi_get_arraybuffer_info(env, argv[0], &data, &length) != napi_ok) {
    napi_throw_type_error(env, "E_INVALID_ARGUMENT", "@ebmjs/native-kernels: the heap must be an ArrayBuffer");
    return NULL;
  }
  for (size_t i = 0; i < count; i++) {
    if (napi_get_value_int32(env, argv[i + 1], &out[i]) != napi_ok) {
      napi_throw_type_error(env, "E_INVALID_ARGUMENT", "@ebmjs/native-kernels: arguments must be numbers");
      return NULL;
    }
  }
  return (uint8_t *)data;
}

typedef void (*conv_fn)(uint8_t *, int32_t, int32_t, int32_t, int32_t, const geom *, int32_t, int32_t);

/* A convolution call, for the helper threads: its kernel and arguments but the pixel range. */
typedef struct {
  conv_fn f;
  uint8_t *heap;
  int32_t x, w, bias, out;
  geom g;
} conv_call;

static void conv_part(void *ctx, int32_t lo, int32_t hi) {
  conv_call *c = ctx;
  c->f(c->heap, c->x, c->w, c->bias, c->out, &c->g, lo, hi);
}

/* `lanes`: the work estimate that decides a split is pixels x reduction length x lanes (the
 * kernel's panel width: 16, 4 or 1; the threshold in pool.c is set on that scale). */
static napi_value run_conv(napi_env env, napi_callback_info info, conv_fn f, int32_t lanes) {
  int32_t a[22];
  uint8_t *heap = args_of(env, info, 22, a);
  if (heap == NULL) return NULL;
  conv_call c = {f, heap, a[0], a[1], a[2], a[3],
                 {a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], a[16], a[17], a[18], a[19]}};
  int64_t work = (int64_t)(a[21] - a[20]) * c.g.kh * c.g.kw * c.g.cin * lanes;
  /* parts of 24 pixels: whole tiles of every kernel version (6, 8, 2 or 4 pixels) */
  pool_run(conv_part, &c, a[20], a[21], 24, work);
  return NULL;
}

static napi_value js_conv(napi_env env, napi_callback_info info) {
  return run_conv(env, info, conv16, 16);
}
static napi_value js_conv4(napi_env env, napi_callback_info info) {
  return run_conv(env, info, conv4, 4);
}
static napi_value js_conv1(napi_env env, napi_callback_info info) {
  return run_conv(env, info, conv1, 1);
}

typedef struct {
  uint8_t *heap;
  int32_t a[15];
} fgrad_call;

static void fgrad_part(void *ctx, int32_t lo, int32_t hi) {
  fgrad_call *c = ctx;
  const int32_t *a = c->a;
  fgrad(c->heap, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], lo, hi);
}

static napi_value js_fgrad(napi_env env, napi_callback_info info) {
  fgrad_call c;
  c.heap = args_of(env, info, 15, c.a);
  if (c.heap == NULL) return NULL;
  /* row tiles of 4 rows, each a reduction over all pixels (a[4]) for all channels (a[7]) */
  int64_t work = (int64_t)(c.a[14] - c.a[13]) * 4 * c.a[4] * c.a[7];
  pool_run(fgrad_part, &c, c.a[13], c.a[14], 1, work);
  return NULL;
}

/* The activations' arguments: byte offsets of up to four arrays and the element count. */
typedef struct {
  uint8_t *heap;
  int32_t a[5];
} act_call;

static void sigmoid_part(void *ctx, int32_t lo, int32_t hi) {
  act_call *c = ctx;
  sigmoid_range((const float *)(c->heap + c->a[0]), (float *)(c->heap + c->a[1]), lo, hi);
}
static void swish_part(void *ctx, int32_t lo, int32_t hi) {
  act_call *c = ctx;
  swish_range((const float *)(c->heap + c->a[0]), (float *)(c->heap + c->a[1]),
              (float *)(c->heap + c->a[2]), lo, hi);
}
static void swish_grad_part(void *ctx, int32_t lo, int32_t hi) {
  act_call *c = ctx;
  swish_grad_range((const float *)(c->heap + c->a[0]), (const float *)(c->heap + c->a[1]),
                   (const float *)(c->heap + c->a[2]), (float *)(c->heap + c->a[3]), lo, hi);
}

/* f(heap, ...offsets, count): `arrays` offsets, the count last; split by 16 elements (about 30
 * operations each: a wake-up pays from some 10^5 elements). */
static napi_value run_act(napi_env env, napi_callback_info info, pool_fn f, size_t arrays) {
  act_call c;
  c.heap = args_of(env, info, arrays + 1, c.a);
  if (c.heap == NULL) return NULL;
  int32_t count = c.a[arrays];
  pool_run(f, &c, 0, count, 16, (int64_t)count * 8);
  return NULL;
}
static napi_value js_sigmoid(napi_env env, napi_callback_info info) {
  return run_act(env, info, sigmoid_part, 2);
}
static napi_value js_swish(napi_env env, napi_callback_info info) {
  return run_act(env, info, swish_part, 3);
}
static napi_value js_swish_grad(napi_env env, napi_callback_info info) {
  return run_act(env, info, swish_grad_part, 4);
}

/* setThreads(n): the native kernels' thread count (1 to 16; helpers started or stopped). */
static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t n = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 ||
      napi_get_value_int32(env, argv[0], &n) != napi_ok || n < 1 || n > POOL_MAX) {
    napi_throw_range_error(env, "E_INVALID_ARGUMENT", "@ebmjs/native-kernels: setThreads(n) needs 1 <= n <= 16");
    return NULL;
  }
  napi_value r;
  napi_create_int32(env, pool_set_threads(n), &r);
  return r;
}

static napi_value js_pad(napi_env env, napi_callback_info info) {
  int32_t a[10];
  uint8_t *heap = args_of(env, info, 10, a);
  if (heap == NULL) return NULL;
  pad(heap, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]);
  return NULL;
}

/* Which instruction set the kernels run here: "x86-64-v4", "x86-64-v3", "baseline". */
static napi_value js_isa(napi_env env, napi_callback_info info) {
  (void)info;
  const char *isa = "baseline";
#ifdef EBMJS_X86_VERSIONS
  int level = isa_level();
  if (level == 4) isa = "x86-64-v4";
  else if (level == 3) isa = "x86-64-v3";
#elif defined(__aarch64__)
  isa = "aarch64";
#endif
  napi_value r;
  napi_create_string_utf8(env, isa, NAPI_AUTO_LENGTH, &r);
  return r;
}

NAPI_MODULE_INIT() {
  static const struct { const char *name; napi_callback cb; } fns[] = {
      {"conv", js_conv}, {"conv4", js_conv4}, {"conv1", js_conv1},
      {"fgrad", js_fgrad}, {"pad", js_pad}, {"isa", js_isa}, {"setThreads", js_set_threads},
      {"sigmoid", js_sigmoid}, {"swish", js_swish}, {"swish_grad", js_swish_grad}};
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value fn;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].cb, NULL, &fn);
    napi_set_named_property(env, exports, fns[i].name, fn);
  }
  return exports;
}
