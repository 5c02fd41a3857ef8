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
#endif
