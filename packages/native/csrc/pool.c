/*
 * A minimal thread pool: persistent workers wait on a condition variable for the next parallel loop,
 * take their chunk, and the caller waits for a countdown. No OpenMP: one small file, and each
 * device of the backend owns its own pool (and, when asked, its own CPUs).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

#define AX_SCRATCH_SLOTS 6

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
  uint64_t generation; /* bumped per parallel loop */
  int pending;         /* workers still running the current loop */
  int stop;
  /* the current loop */
  ax_task_fn fn;
  void *ctx;
  int64_t count, chunk;
  scratch_t *scratch; /* nthreads × AX_SCRATCH_SLOTS */
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

static void *worker_main(void *arg) {
  worker_arg a = *(worker_arg *)arg;
  free(arg);
  pin(a.cpu);
  ax_pool *p = a.pool;
  uint64_t seen = 0;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (p->generation == seen && !p->stop) pthread_cond_wait(&p->start, &p->mu);
    if (p->stop) break;
    seen = p->generation;
    pthread_mutex_unlock(&p->mu);
    run_chunk(p, a.index);
    pthread_mutex_lock(&p->mu);
    if (--p->pending == 0) pthread_cond_signal(&p->done);
  }
  pthread_mutex_unlock(&p->mu);
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
  pthread_mutex_lock(&p->mu);
  p->stop = 1;
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

void ax_parallel_for(ax_pool *p, int64_t count, int64_t grain, ax_task_fn fn, void *ctx) {
  if (count <= 0) return;
  if (grain < 1) grain = 1;
  int64_t chunks = (count + grain - 1) / grain;
  int used = chunks < p->nthreads ? (int)chunks : p->nthreads;
  if (used <= 1) {
    fn(ctx, 0, count, 0);
    return;
  }
  pthread_mutex_lock(&p->mu);
  p->fn = fn;
  p->ctx = ctx;
  p->count = count;
  p->chunk = (count + used - 1) / used;
  p->pending = p->nthreads - 1; /* every worker wakes; those past the end return at once */
  p->generation++;
  pthread_cond_broadcast(&p->start);
  pthread_mutex_unlock(&p->mu);
  run_chunk(p, 0);
  pthread_mutex_lock(&p->mu);
  while (p->pending > 0) pthread_cond_wait(&p->done, &p->mu);
  pthread_mutex_unlock(&p->mu);
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
