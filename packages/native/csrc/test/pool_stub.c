/*
 * Single-threaded stand-in for pool.c, so the op tests build on their own. It still splits the
 * range into one chunk per (pretend) thread, run one after another with distinct thread ids, so
 * chunk boundaries and per-thread scratch get exercised.
 */
#include <stdlib.h>

#include "pool.h"

#define MAX_THREADS 16
#define SLOTS 4

struct ax_pool {
  int nthreads;
  void *scratch[MAX_THREADS][SLOTS];
  size_t bytes[MAX_THREADS][SLOTS];
};

int ax_abi_version(void) { return 1; }
const char *ax_simd_path(void) { return "generic"; }
int ax_force_simd_path(const char *name) { return name && name[0] == 'g'; }

ax_pool *ax_pool_create(int nthreads, int first_cpu) {
  (void)first_cpu;
  ax_pool *p = calloc(1, sizeof *p);
  if (p) p->nthreads = nthreads < 1 ? 1 : nthreads > MAX_THREADS ? MAX_THREADS : nthreads;
  return p;
}

void ax_pool_destroy(ax_pool *p) {
  if (!p) return;
  for (int t = 0; t < MAX_THREADS; t++)
    for (int s = 0; s < SLOTS; s++) free(p->scratch[t][s]);
  free(p);
}

int ax_pool_threads(const ax_pool *p) { return p->nthreads; }

void ax_parallel_for(ax_pool *p, int64_t count, int64_t grain, ax_task_fn fn, void *ctx) {
  if (count <= 0) return;
  if (grain < 1) grain = 1;
  const int64_t chunks = (count + grain - 1) / grain;
  const int used = chunks < p->nthreads ? (int)chunks : p->nthreads;
  const int64_t chunk = (count + used - 1) / used;
  for (int t = 0; t < used; t++) {
    const int64_t b = t * chunk, e = b + chunk < count ? b + chunk : count;
    if (b < e) fn(ctx, b, e, t);
  }
}

void *ax_scratch(ax_pool *p, int thread, int slot, size_t bytes) {
  if (p->bytes[thread][slot] < bytes) {
    free(p->scratch[thread][slot]);
    const size_t rounded = (bytes + 63) & ~(size_t)63;
    p->scratch[thread][slot] = aligned_alloc(64, rounded);
    p->bytes[thread][slot] = p->scratch[thread][slot] ? rounded : 0;
  }
  return p->scratch[thread][slot];
}
