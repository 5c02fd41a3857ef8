/*
 * Convolutions as im2col + GEMM, per image and group: the patch matrix col[K × P] (K = cg·kh·kw
 * taps, P = outH·outW pixels) turns every pass into one matrix product —
 *   forward          y_g  = W_g · col                (og × K)·(K × P)
 *   backward-data    col  = W_gᵀ · dy_g, then col2im (scatter-add back to pixels)
 *   backward-filter  dW_g += dy_g · colᵀ             (og × P)·(P × K)
 * The GEMM is where the time goes and it is threaded; im2col/col2im are parallel over channels.
 */
#include <string.h>

#include "gemm.h"
#include "pool.h"

typedef struct {
  int c, h, w, kh, kw, stride, pad, outH, outW, cg;
} geom_t;

typedef struct {
  const geom_t *g;
  const float *x; /* image n, first channel of the group */
  float *col;
} im2col_t;

/* Rows of col for input channels [begin, end) of the group. */
static void im2col_task(void *ctx, int64_t begin, int64_t end, int thread) {
  (void)thread;
  const im2col_t *t = ctx;
  const geom_t *g = t->g;
  const int64_t P = (int64_t)g->outH * g->outW;
  for (int64_t ic = begin; ic < end; ic++) {
    const float *plane = t->x + ic * g->h * g->w;
    for (int ky = 0; ky < g->kh; ky++)
      for (int kx = 0; kx < g->kw; kx++) {
        float *row = t->col + ((ic * g->kh + ky) * g->kw + kx) * P;
        for (int oy = 0; oy < g->outH; oy++) {
          int iy = oy * g->stride - g->pad + ky;
          float *out = row + (int64_t)oy * g->outW;
          if (iy < 0 || iy >= g->h) {
            memset(out, 0, sizeof(float) * g->outW);
            continue;
          }
          const float *in = plane + (int64_t)iy * g->w;
          for (int ox = 0; ox < g->outW; ox++) {
            int ix = ox * g->stride - g->pad + kx;
            out[ox] = (ix >= 0 && ix < g->w) ? in[ix] : 0.0f;
          }
        }
      }
  }
}

typedef struct {
  const geom_t *g;
  const float *col;
  float *dx; /* image n, first channel of the group */
} col2im_t;

/* Adds the col rows of input channels [begin, end) back into their pixels (channels don't overlap). */
static void col2im_task(void *ctx, int64_t begin, int64_t end, int thread) {
  (void)thread;
  const col2im_t *t = ctx;
  const geom_t *g = t->g;
  const int64_t P = (int64_t)g->outH * g->outW;
  for (int64_t ic = begin; ic < end; ic++) {
    float *plane = t->dx + ic * g->h * g->w;
    for (int ky = 0; ky < g->kh; ky++)
      for (int kx = 0; kx < g->kw; kx++) {
        const float *row = t->col + ((ic * g->kh + ky) * g->kw + kx) * P;
        for (int oy = 0; oy < g->outH; oy++) {
          int iy = oy * g->stride - g->pad + ky;
          if (iy < 0 || iy >= g->h) continue;
          float *out = plane + (int64_t)iy * g->w;
          const float *in = row + (int64_t)oy * g->outW;
          for (int ox = 0; ox < g->outW; ox++) {
            int ix = ox * g->stride - g->pad + kx;
            if (ix >= 0 && ix < g->w) out[ix] += in[ox];
          }
        }
      }
  }
}

static geom_t geometry(int c, int h, int w, int kh, int kw, int stride, int pad, int groups) {
  geom_t g = {c, h, w, kh, kw, stride, pad, (h + 2 * pad - kh) / stride + 1, (w + 2 * pad - kw) / stride + 1,
              c / groups};
  return g;
}

static void im2col(ax_pool *pool, const geom_t *g, const float *x, float *col) {
  im2col_t t = {g, x, col};
  ax_parallel_for(pool, g->cg, 1, im2col_task, &t);
}

typedef struct {
  float *y;
  const float *bias;
  int64_t P;
  int outC;
} bias_t;

static void add_bias_task(void *ctx, int64_t begin, int64_t end, int thread) {
  (void)thread;
  const bias_t *t = ctx;
  for (int64_t r = begin; r < end; r++) { /* r = n·outC + oc */
    float b = t->bias[r % t->outC];
    float *row = t->y + r * t->P;
    for (int64_t i = 0; i < t->P; i++) row[i] += b;
  }
}

void ax_conv2d_forward(ax_pool *pool, const float *x, const float *w, const float *bias, float *y, int n, int c,
                       int h, int wd, int outC, int kh, int kw, int stride, int pad, int groups) {
  geom_t g = geometry(c, h, wd, kh, kw, stride, pad, groups);
  const int og = outC / groups;
  const int64_t K = (int64_t)g.cg * kh * kw, P = (int64_t)g.outH * g.outW;
  float *col = ax_scratch(pool, 0, AX_SLOT_CONV, sizeof(float) * K * P);
  for (int i = 0; i < n; i++)
    for (int gi = 0; gi < groups; gi++) {
      im2col(pool, &g, x + ((int64_t)i * c + (int64_t)gi * g.cg) * h * wd, col);
      ax_sgemm(pool, 0, 0, og, (int)P, (int)K, 1.0, w + (int64_t)gi * og * K, (int)K, col, (int)P, 0.0,
               y + ((int64_t)i * outC + (int64_t)gi * og) * P, (int)P);
    }
  if (bias) {
    bias_t t = {y, bias, P, outC};
    ax_parallel_for(pool, (int64_t)n * outC, 8, add_bias_task, &t);
  }
}

void ax_conv2d_backward_data(ax_pool *pool, const float *dy, const float *w, float *dx, int n, int c, int h,
                             int wd, int outC, int kh, int kw, int stride, int pad, int groups, int accumulate) {
  geom_t g = geometry(c, h, wd, kh, kw, stride, pad, groups);
  const int og = outC / groups;
  const int64_t K = (int64_t)g.cg * kh * kw, P = (int64_t)g.outH * g.outW;
  float *col = ax_scratch(pool, 0, AX_SLOT_CONV, sizeof(float) * K * P);
  if (!accumulate) memset(dx, 0, sizeof(float) * (size_t)n * c * h * wd);
  for (int i = 0; i < n; i++)
    for (int gi = 0; gi < groups; gi++) {
      ax_sgemm(pool, 1, 0, (int)K, (int)P, og, 1.0, w + (int64_t)gi * og * K, (int)K,
               dy + ((int64_t)i * outC + (int64_t)gi * og) * P, (int)P, 0.0, col, (int)P);
      col2im_t t = {&g, col, dx + ((int64_t)i * c + (int64_t)gi * g.cg) * h * wd};
      ax_parallel_for(pool, g.cg, 1, col2im_task, &t);
    }
}

typedef struct {
  const float *dy;
  float *dbias;
  int n, outC;
  int64_t P;
  int accumulate;
} dbias_t;

static void dbias_task(void *ctx, int64_t begin, int64_t end, int thread) {
  (void)thread;
  const dbias_t *t = ctx;
  for (int64_t oc = begin; oc < end; oc++) {
    double sum = 0; /* n·P terms (3025 per image for conv1): sum in double */
    for (int i = 0; i < t->n; i++) {
      const float *row = t->dy + ((int64_t)i * t->outC + oc) * t->P;
      for (int64_t k = 0; k < t->P; k++) sum += row[k];
    }
    t->dbias[oc] = (float)((t->accumulate ? t->dbias[oc] : 0.0) + sum);
  }
}

void ax_conv2d_backward_filter(ax_pool *pool, const float *x, const float *dy, float *dw, float *dbias, int n,
                               int c, int h, int wd, int outC, int kh, int kw, int stride, int pad, int groups,
                               int accumulate) {
  geom_t g = geometry(c, h, wd, kh, kw, stride, pad, groups);
  const int og = outC / groups;
  const int64_t K = (int64_t)g.cg * kh * kw, P = (int64_t)g.outH * g.outW;
  float *col = ax_scratch(pool, 0, AX_SLOT_CONV, sizeof(float) * K * P);
  for (int i = 0; i < n; i++)
    for (int gi = 0; gi < groups; gi++) {
      im2col(pool, &g, x + ((int64_t)i * c + (int64_t)gi * g.cg) * h * wd, col);
      double beta = (i == 0 && !accumulate) ? 0.0 : 1.0;
      ax_sgemm(pool, 0, 1, og, (int)K, (int)P, 1.0, dy + ((int64_t)i * outC + (int64_t)gi * og) * P, (int)P, col,
               (int)P, beta, dw + (int64_t)gi * og * K, (int)K);
    }
  if (dbias) {
    dbias_t t = {dy, dbias, n, outC, P, accumulate};
    ax_parallel_for(pool, outC, 4, dbias_task, &t);
  }
}
