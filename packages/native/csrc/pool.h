/* Internal: the thread pool's parallel loop, used by every kernel. */
#ifndef AX_POOL_H
#define AX_POOL_H
#include <stddef.h>

#include "alexnet_native.h"

/**
 * Splits [0, count) into at most one contiguous chunk per thread (none smaller than `grain`, except
 * the last) and calls fn(ctx, begin, end, thread) for each, the calling thread included; returns when
 * all chunks are done. Not re-entrant: a kernel must not call it from inside fn.
 */
typedef void (*ax_task_fn)(void *ctx, int64_t begin, int64_t end, int thread);
void ax_parallel_for(ax_pool *pool, int64_t count, int64_t grain, ax_task_fn fn, void *ctx);
/**
 * Per-thread scratch memory of at least `bytes` bytes, 64-byte aligned, reused across calls. Slots are
 * shared between kernels (gemm.h names the ones GEMM and convolution use; max-pool backward and
 * softmax use slot 0): safe because the kernels of one pool never run at the same time.
 */
void *ax_scratch(ax_pool *pool, int thread, int slot, size_t bytes);

/**
 * Where a kernel's loops run: on the whole pool (thread < 0), or serially on one of its threads with
 * that thread's scratch (thread ≥ 0) — how a convolution split over images runs its GEMMs inside
 * its own parallel loop.
 */
typedef struct {
  ax_pool *pool;
  int thread;
} ax_exec;

static inline ax_exec ax_on_pool(ax_pool *pool) {
  ax_exec e = {pool, -1};
  return e;
}
static inline ax_exec ax_on_thread(ax_pool *pool, int thread) {
  ax_exec e = {pool, thread};
  return e;
}
/** The loop of ax_parallel_for on the pool, or the whole range at once on the exec's thread. */
static inline void ax_exec_for(ax_exec e, int64_t count, int64_t grain, ax_task_fn fn, void *ctx) {
  if (e.thread < 0)
    ax_parallel_for(e.pool, count, grain, fn, ctx);
  else if (count > 0)
    fn(ctx, 0, count, e.thread);
}
/** Threads the exec's loops use. */
static inline int ax_exec_threads(ax_exec e) { return e.thread < 0 ? ax_pool_threads(e.pool) : 1; }
/** Scratch of the exec's own thread (thread 0's for the whole pool), for use outside its loops. */
static inline void *ax_exec_scratch(ax_exec e, int slot, size_t bytes) {
  return ax_scratch(e.pool, e.thread < 0 ? 0 : e.thread, slot, bytes);
}
#endif
