/* Per-channel bias: y[n,c,s] = x[n,c,s] + bias[c] and its gradient db[c] = Σ_{n,s} dy[n,c,s]. */
#include "alexnet_native.h"
#include "pool.h"

#define GRAIN 16384

typedef struct {
  const float *x, *bias;
  float *y;
  int c, spatial;
} bias_add_ctx;

/* Rows are (n, c) planes of `spatial` elements; a chunk of rows is walked as runs inside one n. */
static void bias_add_task(void *vctx, int64_t begin, int64_t end, int thread) {
  (void)thread;
  const bias_add_ctx *t = vctx;
  const int64_t S = t->spatial;
  for (int64_t r = begin; r < end;) {
    const int c0 = (int)(r % t->c);
    const int64_t run = (t->c - c0 < end - r) ? t->c - c0 : end - r;
    const float *x = t->x + r * S;
    float *y = t->y + r * S;
    const float *b = t->bias + c0;
    if (S == 1) { /* fully connected: one contiguous vector add */
      for (int64_t k = 0; k < run; k++) y[k] = x[k] + b[k];
    } else {
      for (int64_t k = 0; k < run; k++) {
        const float bk = b[k];
        for (int64_t s = 0; s < S; s++) y[k * S + s] = x[k * S + s] + bk;
      }
    }
    r += run;
  }
}

void ax_bias_add(ax_pool *pool, const float *x, const float *bias, float *y, int n, int c, int spatial) {
  bias_add_ctx t = {.x = x, .bias = bias, .y = y, .c = c, .spatial = spatial};
  const int64_t grain = spatial >= GRAIN ? 1 : GRAIN / spatial;
  ax_parallel_for(pool, (int64_t)n * c, grain, bias_add_task, &t);
}

typedef struct {
  const float *dy;
  float *db;
  int n, c, spatial, accumulate;
} bias_grad_ctx;

/* Sum of a plane in double; four accumulators break the add latency chain. */
static double plane_sum(const float *p, int64_t len) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 4 <= len; i += 4) {
    s0 += p[i];
    s1 += p[i + 1];
    s2 += p[i + 2];
    s3 += p[i + 3];
  }
  for (; i < len; i++) s0 += p[i];
  return (s0 + s1) + (s2 + s3);
}

#define COLS 256

/* Each chunk owns channels [begin, end), so no two threads write the same db. */
static void bias_grad_task(void *vctx, int64_t begin, int64_t end, int thread) {
  (void)thread;
  const bias_grad_ctx *t = vctx;
  const int64_t S = t->spatial, C = t->c;
  double acc[COLS];
  for (int64_t c0 = begin; c0 < end; c0 += COLS) {
    const int64_t cols = end - c0 < COLS ? end - c0 : COLS;
    for (int64_t k = 0; k < cols; k++) acc[k] = 0;
    for (int64_t i = 0; i < t->n; i++) {
      const float *row = t->dy + (i * C + c0) * S;
      if (S == 1) /* fully connected: add a row segment (contiguous, vectorisable) */
        for (int64_t k = 0; k < cols; k++) acc[k] += row[k];
      else
        for (int64_t k = 0; k < cols; k++) acc[k] += plane_sum(row + k * S, S);
    }
    float *db = t->db + c0;
    if (t->accumulate)
      for (int64_t k = 0; k < cols; k++) db[k] = (float)(db[k] + acc[k]);
    else
      for (int64_t k = 0; k < cols; k++) db[k] = (float)acc[k];
  }
}

void ax_bias_grad(ax_pool *pool, const float *dy, float *db, int n, int c, int spatial, int accumulate) {
  bias_grad_ctx t = {.dy = dy, .db = db, .n = n, .c = c, .spatial = spatial, .accumulate = accumulate};
  const int64_t per_channel = (int64_t)n * spatial;
  const int64_t grain = per_channel >= GRAIN ? 1 : GRAIN / per_channel;
  ax_parallel_for(pool, c, grain, bias_grad_task, &t);
}
