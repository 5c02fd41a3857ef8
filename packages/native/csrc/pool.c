/*
 * A minimal thread pool: persistent workers wait for the next parallel loop, take their chunk, and the
 * caller waits for a countdown. No OpenMP: one small file, and each device of the backend owns its own
 * pool (and, when asked, its own CPUs).
 *
 * Waiting spins briefly before sleeping on a condition variable, on both sides. Why: a training step
 * of a small network (the CIFAR-10 net at batch 32) is a few thousand loops of ~20–100 µs each, and a
 * futex sleep + wake costs about as much as the loop itself on a VM — with sleeping alone, 2 threads
 * ran that net slower than 1 (measured: 263 vs 287 images/s). The spin is bounded (AX_SPIN_NS), so an
 * idle pool or an oversubscribed machine soon falls back to sleeping.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pool.h"

#define AX_SCRATCH_SLOTS 8
/* How long a waiting thread spins before it sleeps: longer than the gap between two kernels' loops
   (JS and koffi overhead, a few µs), short enough not to matter to an idle or oversubscribed machine. */
#define AX_SPIN_NS 200000

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ volatile("yield")
#else
#define cpu_relax() ((void)0)
#endif

typedef struct {
  void *ptr;
  size_t bytes;
} scratch_t;

struct ax_pool {
  int nthreads; /* including the caller */
  pthread_t *workers;
  pthread_mutex_t mu;
  pthread_cond_t start;
  pthread_cond_t done;
  _Atomic uint64_t generation; /* bumped per parallel loop (after the loop's fields are written) */
  _Atomic int pending;          /* workers still running the current loop */
  _Atomic int stop;
  /* the current loop */
  ax_task_fn fn;
  void *ctx;
  int64_t count, chunk;
  scratch_t *scratch; /* nthreads × AX_SCRATCH_SLOTS */
  int conv_split;     /* AX_CONV_SPLIT_* (conv.c) */
};

typedef struct {
  ax_pool *pool;
  int index;
  int cpu;
} worker_arg;

static void pin(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set); /* best effort: ignore failures */
}

static void run_chunk(ax_pool *p, int t) {
  int64_t begin = (int64_t)t * p->chunk;
  if (begin >= p->count) return;
  int64_t end = begin + p->chunk < p->count ? begin + p->chunk : p->count;
  p->fn(p->ctx, begin, end, t);
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The pool that ran the latest loop in this process. Another pool's workers stop spinning at once: with
   two devices (native:0 and native:1 alternating on one JS thread) they would steal its cores. */
static _Atomic(ax_pool *) active_pool;

/* Spins until done(p, arg), AX_SPIN_NS pass or another pool becomes active; returns done's last answer.
   Reads the clock every 64 spins. */
static int spin_until(int (*done)(ax_pool *, uint64_t), ax_pool *p, uint64_t arg) {
  int64_t deadline = 0;
  for (unsigned i = 0;; i++) {
    if (done(p, arg)) return 1;
    if (atomic_load_explicit(&active_pool, memory_order_relaxed) != p) return 0;
    if ((i & 63) == 0) {
      int64_t t = now_ns();
      if (!deadline) deadline = t + AX_SPIN_NS;
      else if (t > deadline) return 0;
      sched_yield(); /* free when the core is ours; on an oversubscribed machine it lets the thread we wait for run */
    }
    cpu_relax();
  }
}

static int new_loop_or_stop(ax_pool *p, uint64_t seen) {
  return atomic_load_explicit(&p->generation, memory_order_acquire) != seen ||
         atomic_load_explicit(&p->stop, memory_order_acquire);
}

static int all_done(ax_pool *p, uint64_t unused) {
  (void)unused;
  return atomic_load_explicit(&p->pending, memory_order_acquire) == 0;
}

static void *worker_main(void *arg) {
  worker_arg a = *(worker_arg *)arg;
  free(arg);
  pin(a.cpu);
  ax_pool *p = a.pool;
  uint64_t seen = 0;
  for (;;) {
    if (!spin_until(new_loop_or_stop, p, seen)) {
      /* Re-checked under the mutex, which the caller takes after bumping the generation: no lost wake-up. */
      pthread_mutex_lock(&p->mu);
      while (!new_loop_or_stop(p, seen)) pthread_cond_wait(&p->start, &p->mu);
      pthread_mutex_unlock(&p->mu);
    }
    if (atomic_load(&p->stop)) break;
    seen = atomic_load_explicit(&p->generation, memory_order_acquire);
    run_chunk(p, a.index);
    if (atomic_fetch_sub_explicit(&p->pending, 1, memory_order_acq_rel) == 1) {
      pthread_mutex_lock(&p->mu); /* the caller may be asleep: wake it */
      pthread_cond_signal(&p->done);
      pthread_mutex_unlock(&p->mu);
    }
  }
  return NULL;
}

ax_pool *ax_pool_create(int nthreads, int first_cpu) {
  if (nthreads < 1) nthreads = 1;
  ax_pool *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->nthreads = nthreads;
  p->scratch = calloc((size_t)nthreads * AX_SCRATCH_SLOTS, sizeof(scratch_t));
  p->workers = calloc((size_t)nthreads, sizeof(pthread_t));
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->start, NULL);
  pthread_cond_init(&p->done, NULL);
  if (first_cpu >= 0) pin(first_cpu); /* the caller is thread 0 while it runs a loop */
  for (int t = 1; t < nthreads; t++) {
    worker_arg *a = malloc(sizeof *a);
    a->pool = p;
    a->index = t;
    a->cpu = first_cpu >= 0 ? first_cpu + t : -1;
    if (pthread_create(&p->workers[t], NULL, worker_main, a) != 0) {
      free(a);
      p->nthreads = t; /* run with the threads we got */
      break;
    }
  }
  return p;
}

void ax_pool_destroy(ax_pool *p) {
  if (!p) return;
  ax_pool *self = p;
  atomic_compare_exchange_strong(&active_pool, &self, NULL);
  pthread_mutex_lock(&p->mu);
  atomic_store(&p->stop, 1);
  pthread_cond_broadcast(&p->start);
  pthread_mutex_unlock(&p->mu);
  for (int t = 1; t < p->nthreads; t++) pthread_join(p->workers[t], NULL);
  for (int i = 0; i < p->nthreads * AX_SCRATCH_SLOTS; i++) free(p->scratch[i].ptr);
  free(p->scratch);
  free(p->workers);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->start);
  pthread_cond_destroy(&p->done);
  free(p);
}

int ax_pool_threads(const ax_pool *p) { return p->nthreads; }

int ax_pool_set_conv_split(ax_pool *p, int mode) {
  if (mode < AX_CONV_SPLIT_AUTO || mode > AX_CONV_SPLIT_IMAGES) return 0;
  p->conv_split = mode;
  return 1;
}

int ax_pool_conv_split(const ax_pool *p) { return p->conv_split; }

/* Parallel loops running now in the process (over all pools), and the most seen at once. */
static _Atomic int loops_now, loops_peak;

int ax_concurrent_loops_peak(int reset) {
  int peak = atomic_load(&loops_peak);
  if (reset) atomic_store(&loops_peak, atomic_load(&loops_now));
  return peak;
}

static void run_loop(ax_pool *p, int64_t count, int64_t grain, ax_task_fn fn, void *ctx);

void ax_parallel_for(ax_pool *p, int64_t count, int64_t grain, ax_task_fn fn, void *ctx) {
  int now = atomic_fetch_add(&loops_now, 1) + 1;
  for (int peak = atomic_load(&loops_peak); now > peak && !atomic_compare_exchange_weak(&loops_peak, &peak, now);) {
  }
  run_loop(p, count, grain, fn, ctx);
  atomic_fetch_sub(&loops_now, 1);
}

static void run_loop(ax_pool *p, int64_t count, int64_t grain, ax_task_fn fn, void *ctx) {
  if (count <= 0) return;
  if (grain < 1) grain = 1;
  int64_t chunks = (count + grain - 1) / grain;
  int used = chunks < p->nthreads ? (int)chunks : p->nthreads;
  if (used <= 1) {
    fn(ctx, 0, count, 0);
    return;
  }
  atomic_store_explicit(&active_pool, p, memory_order_relaxed);
  /* No worker reads these until it sees the new generation (release/acquire). */
  p->fn = fn;
  p->ctx = ctx;
  p->count = count;
  p->chunk = (count + used - 1) / used;
  atomic_store_explicit(&p->pending, p->nthreads - 1, memory_order_relaxed); /* every worker runs; those past the end return at once */
  atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
  pthread_mutex_lock(&p->mu); /* wakes sleeping workers; spinning ones have already seen the generation */
  pthread_cond_broadcast(&p->start);
  pthread_mutex_unlock(&p->mu);
  run_chunk(p, 0);
  if (!spin_until(all_done, p, 0)) {
    pthread_mutex_lock(&p->mu);
    while (!all_done(p, 0)) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
  }
}

void *ax_scratch(ax_pool *p, int thread, int slot, size_t bytes) {
  scratch_t *s = &p->scratch[thread * AX_SCRATCH_SLOTS + slot];
  if (s->bytes < bytes) {
    free(s->ptr);
    size_t rounded = (bytes + 63) & ~(size_t)63;
    s->ptr = aligned_alloc(64, rounded);
    s->bytes = s->ptr ? rounded : 0;
  }
  return s->ptr;
}
