/*
 * Helper threads for the native kernels: pool_run splits a kernel's range between the calling
 * thread (Node's, which holds the wasm heap) and n - 1 helpers. A helper spins briefly after its
 * part (the next convolution of a Langevin step comes within a fraction of a millisecond), then
 * sleeps on a condition variable, so an idle pool costs no CPU. Each output is computed by one
 * thread with the same code as on one thread: results do not depend on the thread count.
 */
#include "pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield")
#else
#define cpu_relax() ((void)0)
#endif

/* Spin iterations before a helper sleeps (a pause is ~40-140 cycles: a few hundred microseconds). */
#define SPIN 40000
/* Below this many multiply-adds a wake-up (tens of microseconds when asleep) does not pay. */
#define MIN_WORK (1 << 20)

typedef struct {
  pthread_t tid;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  atomic_int posted; /* generation of the last job posted */
  atomic_int done;   /* generation of the last job finished */
  int stop;
  pool_fn fn;
  void *ctx;
  int32_t lo, hi;
} helper;

static helper helpers[POOL_MAX];
static int nhelpers;
/* Held while the pool runs a kernel or changes size: a second JavaScript thread using the addon at
 * the same time (a worker with its own tfjs) runs its kernels alone instead. */
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;

static void *helper_main(void *arg) {
  helper *h = arg;
  for (;;) {
    int seen = atomic_load_explicit(&h->done, memory_order_relaxed);
    int job = seen;
    for (int i = 0; i < SPIN && (job = atomic_load_explicit(&h->posted, memory_order_acquire)) == seen; i++) {
      cpu_relax();
    }
    if (job == seen) {
      pthread_mutex_lock(&h->mu);
      while ((job = atomic_load_explicit(&h->posted, memory_order_acquire)) == seen && !h->stop) {
        pthread_cond_wait(&h->cv, &h->mu);
      }
      int stop = h->stop;
      pthread_mutex_unlock(&h->mu);
      if (stop) return NULL;
    }
    h->fn(h->ctx, h->lo, h->hi);
    atomic_store_explicit(&h->done, job, memory_order_release);
  }
}

int pool_set_threads(int n) {
  if (n < 1) n = 1;
  if (n > POOL_MAX) n = POOL_MAX;
  pthread_mutex_lock(&pool_mu);
  while (nhelpers > n - 1) {
    helper *h = &helpers[--nhelpers];
    pthread_mutex_lock(&h->mu);
    h->stop = 1;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->tid, NULL);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
  }
  while (nhelpers < n - 1) {
    helper *h = &helpers[nhelpers];
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    atomic_init(&h->posted, 0);
    atomic_init(&h->done, 0);
    h->stop = 0;
    if (pthread_create(&h->tid, NULL, helper_main, h) != 0) {
      pthread_cond_destroy(&h->cv);
      pthread_mutex_destroy(&h->mu);
      break;
    }
    nhelpers++;
  }
  int threads = nhelpers + 1;
  pthread_mutex_unlock(&pool_mu);
  return threads;
}

void pool_run(pool_fn fn, void *ctx, int32_t first, int32_t last, int32_t align, int64_t work) {
  int32_t units = last - first;
  if (nhelpers == 0 || work < MIN_WORK || units <= align || pthread_mutex_trylock(&pool_mu) != 0) {
    fn(ctx, first, last);
    return;
  }
  int parts = nhelpers + 1;
  /* equal parts, whole tiles */
  int32_t tiles = (units + align - 1) / align;
  int32_t per = (tiles + parts - 1) / parts * align;
  int used = 0;
  for (int i = 1; i < parts; i++) {
    int32_t lo = first + i * per;
    if (lo >= last) break;
    helper *h = &helpers[i - 1];
    h->fn = fn;
    h->ctx = ctx;
    h->lo = lo;
    h->hi = lo + per < last ? lo + per : last;
    int job = atomic_load_explicit(&h->posted, memory_order_relaxed) + 1;
    atomic_store_explicit(&h->posted, job, memory_order_release);
    pthread_mutex_lock(&h->mu);
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    used = i;
  }
  fn(ctx, first, first + per < last ? first + per : last);
  for (int i = 1; i <= used; i++) {
    helper *h = &helpers[i - 1];
    int job = atomic_load_explicit(&h->posted, memory_order_relaxed);
    for (int spins = 0; atomic_load_explicit(&h->done, memory_order_acquire) != job; spins++) {
      if (spins < 100000) cpu_relax();
      else sched_yield();
    }
  }
  pthread_mutex_unlock(&pool_mu);
}
