/* Row softmax and softmax cross-entropy, in double like the reference, one row per task. */
#include <math.h>

#include "alexnet_native.h"
#include "pool.h"

/* exp is ~20× the cost of a copy, so rows are handed out in smaller batches than elementwise work. */
#define GRAIN 2048

typedef struct {
  const float *x, *labels;
  float *y, *loss;
  ax_pool *pool;
  int classes;
  double grad_scale;
} softmax_ctx;

/*
 * e[j] = exp(x[j] − max) into scratch; returns Σ e and sets *max. The max skips a NaN where the
 * reference's Math.max would not, but that NaN's exp makes the sum, so the whole row, NaN anyway.
 */
static double softmax_row(const float *x, int classes, double *e, double *max_out) {
  float m = -INFINITY;
  for (int j = 0; j < classes; j++)
    if (x[j] > m) m = x[j];
  const double max = m;
  double sum = 0;
  for (int j = 0; j < classes; j++) {
    e[j] = exp((double)x[j] - max);
    sum += e[j];
  }
  *max_out = max;
  return sum;
}

static void softmax_task(void *vctx, int64_t begin, int64_t end, int thread) {
  const softmax_ctx *t = vctx;
  const int C = t->classes;
  double *e = ax_scratch(t->pool, thread, 0, (size_t)C * sizeof(double));
  for (int64_t r = begin; r < end; r++) {
    double max;
    const double sum = softmax_row(t->x + r * C, C, e, &max);
    float *y = t->y + r * C;
    for (int j = 0; j < C; j++) y[j] = (float)(e[j] / sum);
  }
}

void ax_softmax(ax_pool *pool, const float *x, float *y, int n, int classes) {
  softmax_ctx t = {.x = x, .y = y, .pool = pool, .classes = classes};
  const int64_t grain = classes >= GRAIN ? 1 : GRAIN / classes;
  ax_parallel_for(pool, n, grain, softmax_task, &t);
}

static void xent_task(void *vctx, int64_t begin, int64_t end, int thread) {
  const softmax_ctx *t = vctx;
  const int C = t->classes;
  const double gs = t->grad_scale;
  double *e = ax_scratch(t->pool, thread, 0, (size_t)C * sizeof(double));
  for (int64_t r = begin; r < end; r++) {
    const float *z = t->x + r * C;
    const int label = (int)t->labels[r]; /* validated before any task runs */
    double max;
    const double sum = softmax_row(z, C, e, &max);
    t->loss[r] = (float)(max + log(sum) - z[label]);
    float *d = t->y + r * C;
    for (int j = 0; j < C; j++) d[j] = (float)((e[j] / sum - (j == label ? 1.0 : 0.0)) * gs);
  }
}

int ax_softmax_xent(ax_pool *pool, const float *logits, const float *labels, float *loss, float *dlogits, int n,
                    int classes, double grad_scale) {
  /* Every label is checked first, so a bad batch leaves loss and dlogits untouched. */
  for (int r = 0; r < n; r++) {
    const double l = labels[r];
    if (!(l >= 0 && l < classes && l == floor(l))) return r; /* NaN fails every comparison */
  }
  softmax_ctx t = {.x = logits, .labels = labels, .y = dlogits, .loss = loss, .pool = pool,
                   .classes = classes, .grad_scale = grad_scale};
  const int64_t grain = classes >= GRAIN ? 1 : GRAIN / classes;
  ax_parallel_for(pool, n, grain, xent_task, &t);
  return -1;
}
