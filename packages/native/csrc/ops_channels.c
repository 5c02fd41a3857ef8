/*
 * Channel slices of NC(spatial) tensors: part = whole[:, c0 : c0 + partC, :] and back. Per example
 * the slice is one contiguous run of partC·spatial floats in both tensors, so this is memcpy work.
 */
#include <string.h>

#include "alexnet_native.h"
#include "pool.h"

#define GRAIN 16384

typedef struct {
  const float *src;
  float *dst;
  int64_t src_stride, dst_stride, src_base, dst_base; /* per example, in floats */
  int64_t row;                                        /* partC · spatial */
} channels_ctx;

/* Work is counted in floats of the part and split across examples; each chunk copies its pieces. */
static void channels_task(void *vctx, int64_t begin, int64_t end, int thread) {
  (void)thread;
  const channels_ctx *t = vctx;
  for (int64_t i = begin; i < end;) {
    const int64_t ex = i / t->row, at = i % t->row;
    const int64_t len = (t->row - at < end - i) ? t->row - at : end - i;
    memcpy(t->dst + t->dst_base + ex * t->dst_stride + at, t->src + t->src_base + ex * t->src_stride + at,
           (size_t)len * sizeof(float));
    i += len;
  }
}

void ax_channels_to_part(ax_pool *pool, const float *whole, float *part, int n, int total, int c0, int partC,
                         int spatial) {
  const int64_t row = (int64_t)partC * spatial;
  channels_ctx t = {.src = whole, .dst = part, .src_stride = (int64_t)total * spatial, .dst_stride = row,
                    .src_base = (int64_t)c0 * spatial, .dst_base = 0, .row = row};
  if (row > 0) ax_parallel_for(pool, n * row, GRAIN, channels_task, &t);
}

void ax_channels_from_part(ax_pool *pool, const float *part, float *whole, int n, int total, int c0, int partC,
                           int spatial) {
  const int64_t row = (int64_t)partC * spatial;
  channels_ctx t = {.src = part, .dst = whole, .src_stride = row, .dst_stride = (int64_t)total * spatial,
                    .src_base = 0, .dst_base = (int64_t)c0 * spatial, .row = row};
  if (row > 0) ax_parallel_for(pool, n * row, GRAIN, channels_task, &t);
}
