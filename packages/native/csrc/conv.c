/*
 * Convolutions as im2col + GEMM, per group and per chunk of images: the patch matrix
 * col[K × nb·P] (K = cg·kh·kw taps, P = outH·outW pixels, nb images side by side) turns every pass
 * into one matrix product —
 *   forward          out_g = W_g · col                 (og × K)·(K × nb·P), then scattered to NCHW
 *   backward-data    col   = W_gᵀ · dy_g, then col2im  (scatter-add back to pixels)
 *   backward-filter  dW_g += dy_g · colᵀ               (og × nb·P)·(nb·P × K)
 * Chunking images (nb > 1) matters for the 13×13 layers: one image gives P = 169 columns, too few
 * to split over threads or to amortise packing W; nb images give nb·169. The GEMM is threaded;
 * im2col/col2im are parallel over channels.
 */
#include <string.h>

#include "gemm.h"
#include "pool.h"

/** Columns per GEMM we aim for when chunking images (measured: conv4 at P = 169 gains ~1.4× at 8 images). */
enum { TARGET_COLUMNS = 1024 };

typedef struct {
  int c, h, w, kh, kw, stride, pad, outH, outW, cg;
} geom_t;

typedef struct {
  const geom_t *g;
  const float *x; /* first channel of the group, first image of the chunk */
  int64_t image_stride; /* elements between consecutive images of x */
  int nb;
  float *col; /* K × nb·P */
} im2col_t;

/* Rows of col for input channels [begin, end) of the group, all images of the chunk. */
static void im2col_task(void *ctx, int64_t begin, int64_t end, int thread) {
  (void)thread;
  const im2col_t *t = ctx;
  const geom_t *g = t->g;
  const int64_t P = (int64_t)g->outH * g->outW, ld = P * t->nb;
  for (int64_t ic = begin; ic < end; ic++)
    for (int j = 0; j < t->nb; j++) {
      const float *plane = t->x + j * t->image_stride + ic * g->h * g->w;
      for (int ky = 0; ky < g->kh; ky++)
        for (int kx = 0; kx < g->kw; kx++) {
          float *row = t->col + ((ic * g->kh + ky) * g->kw + kx) * ld + j * P;
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
  float *dx;
  int64_t image_stride;
  int nb;
} col2im_t;

/* Adds the col rows of input channels [begin, end) back into their pixels (channels don't overlap). */
static void col2im_task(void *ctx, int64_t begin, int64_t end, int thread) {
  (void)thread;
  const col2im_t *t = ctx;
  const geom_t *g = t->g;
  const int64_t P = (int64_t)g->outH * g->outW, ld = P * t->nb;
  for (int64_t ic = begin; ic < end; ic++)
    for (int j = 0; j < t->nb; j++) {
      float *plane = t->dx + j * t->image_stride + ic * g->h * g->w;
      for (int ky = 0; ky < g->kh; ky++)
        for (int kx = 0; kx < g->kw; kx++) {
          const float *row = t->col + ((ic * g->kh + ky) * g->kw + kx) * ld + j * P;
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

typedef struct {
  float *packed;       /* og × nb·P */
  float *nchw;         /* first output channel of the group, first image of the chunk */
  int64_t image_stride; /* elements between consecutive images in nchw */
  int64_t P;
  int nb;
  int to_nchw; /* 1: packed → nchw (forward output); 0: nchw → packed (gathering dy) */
} reorder_t;

/* Rows [begin, end) of the og × nb·P matrix ↔ the group's channels of nb NCHW images. */
static void reorder_task(void *ctx, int64_t begin, int64_t end, int thread) {
  (void)thread;
  const reorder_t *t = ctx;
  for (int64_t r = begin; r < end; r++)
    for (int j = 0; j < t->nb; j++) {
      float *packed = t->packed + (r * t->nb + j) * t->P;
      float *image = t->nchw + j * t->image_stride + r * t->P;
      if (t->to_nchw)
        memcpy(image, packed, sizeof(float) * t->P);
      else
        memcpy(packed, image, sizeof(float) * t->P);
    }
}

static geom_t geometry(int c, int h, int w, int kh, int kw, int stride, int pad, int groups) {
  geom_t g = {c, h, w, kh, kw, stride, pad, (h + 2 * pad - kh) / stride + 1, (w + 2 * pad - kw) / stride + 1,
              c / groups};
  return g;
}

/** Images per GEMM: enough columns to fill the threads and amortise packing, at most n. */
static int chunk_images(int64_t P, int n) {
  int64_t nb = (TARGET_COLUMNS + P - 1) / P;
  return (int)(nb < n ? nb : n);
}

/** What all three passes derive from the arguments: geometry, GEMM sizes, strides, scratch. */
typedef struct {
  geom_t g;
  int og;
  int64_t K, P, xs, ys; /* taps, pixels, elements per input image, per output image */
  int nb_max;
  float *col, *packed; /* K × nb·P patches; og × nb·P output/gradient (only when nb_max > 1) */
} plan_t;

static plan_t plan(ax_pool *pool, int c, int h, int wd, int outC, int kh, int kw, int stride, int pad, int groups,
                   int n) {
  plan_t p = {.g = geometry(c, h, wd, kh, kw, stride, pad, groups), .og = outC / groups};
  p.K = (int64_t)p.g.cg * kh * kw;
  p.P = (int64_t)p.g.outH * p.g.outW;
  p.xs = (int64_t)c * h * wd;
  p.ys = (int64_t)outC * p.P;
  p.nb_max = chunk_images(p.P, n);
  p.col = ax_scratch(pool, 0, AX_SLOT_CONV, sizeof(float) * p.K * p.P * p.nb_max);
  p.packed = p.nb_max > 1 ? ax_scratch(pool, 0, AX_SLOT_CONV_OUT, sizeof(float) * p.og * p.P * p.nb_max) : NULL;
  return p;
}

static void im2col(ax_pool *pool, const geom_t *g, const float *x, int64_t image_stride, int nb, float *col) {
  im2col_t t = {g, x, image_stride, nb, col};
  ax_parallel_for(pool, g->cg, 1, im2col_task, &t);
}

static void reorder(ax_pool *pool, float *packed, float *nchw, int64_t image_stride, int64_t P, int nb, int rows,
                    int to_nchw) {
  reorder_t t = {packed, nchw, image_stride, P, nb, to_nchw};
  ax_parallel_for(pool, rows, 4, reorder_task, &t);
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
  const plan_t p = plan(pool, c, h, wd, outC, kh, kw, stride, pad, groups, n);
  const geom_t g = p.g;
  const int og = p.og, nb_max = p.nb_max;
  const int64_t K = p.K, P = p.P, xs = p.xs, ys = p.ys;
  float *col = p.col, *out = p.packed;
  for (int i = 0; i < n; i += nb_max) {
    const int nb = n - i < nb_max ? n - i : nb_max;
    for (int gi = 0; gi < groups; gi++) {
      im2col(pool, &g, x + i * xs + (int64_t)gi * g.cg * h * wd, xs, nb, col);
      float *dst = y + i * ys + (int64_t)gi * og * P;
      if (nb == 1) { /* one image: the GEMM writes the NCHW rows directly */
        ax_sgemm(pool, 0, 0, og, (int)P, (int)K, 1.0, w + (int64_t)gi * og * K, (int)K, col, (int)P, 0.0, dst, (int)P);
      } else {
        ax_sgemm(pool, 0, 0, og, (int)(nb * P), (int)K, 1.0, w + (int64_t)gi * og * K, (int)K, col, (int)(nb * P),
                 0.0, out, (int)(nb * P));
        reorder(pool, out, dst, ys, P, nb, og, 1);
      }
    }
  }
  if (bias) {
    bias_t t = {y, bias, P, outC};
    ax_parallel_for(pool, (int64_t)n * outC, 8, add_bias_task, &t);
  }
}

void ax_conv2d_backward_data(ax_pool *pool, const float *dy, const float *w, float *dx, int n, int c, int h,
                             int wd, int outC, int kh, int kw, int stride, int pad, int groups, int accumulate) {
  const plan_t p = plan(pool, c, h, wd, outC, kh, kw, stride, pad, groups, n);
  const geom_t g = p.g;
  const int og = p.og, nb_max = p.nb_max;
  const int64_t K = p.K, P = p.P, xs = p.xs, ys = p.ys;
  float *col = p.col, *dyp = p.packed;
  if (!accumulate) memset(dx, 0, sizeof(float) * (size_t)n * xs);
  for (int i = 0; i < n; i += nb_max) {
    const int nb = n - i < nb_max ? n - i : nb_max;
    for (int gi = 0; gi < groups; gi++) {
      const float *src = dy + i * ys + (int64_t)gi * og * P;
      if (nb > 1) {
        reorder(pool, dyp, (float *)src, ys, P, nb, og, 0);
        src = dyp;
      }
      ax_sgemm(pool, 1, 0, (int)K, (int)(nb * P), og, 1.0, w + (int64_t)gi * og * K, (int)K, src, (int)(nb * P), 0.0,
               col, (int)(nb * P));
      col2im_t t = {&g, col, dx + i * xs + (int64_t)gi * g.cg * h * wd, xs, nb};
      ax_parallel_for(pool, g.cg, 1, col2im_task, &t);
    }
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
  const plan_t p = plan(pool, c, h, wd, outC, kh, kw, stride, pad, groups, n);
  const geom_t g = p.g;
  const int og = p.og, nb_max = p.nb_max;
  const int64_t K = p.K, P = p.P, xs = p.xs, ys = p.ys;
  float *col = p.col, *dyp = p.packed;
  for (int i = 0; i < n; i += nb_max) {
    const int nb = n - i < nb_max ? n - i : nb_max;
    for (int gi = 0; gi < groups; gi++) {
      im2col(pool, &g, x + i * xs + (int64_t)gi * g.cg * h * wd, xs, nb, col);
      const float *src = dy + i * ys + (int64_t)gi * og * P;
      if (nb > 1) {
        reorder(pool, dyp, (float *)src, ys, P, nb, og, 0);
        src = dyp;
      }
      double beta = (i == 0 && !accumulate) ? 0.0 : 1.0;
      ax_sgemm(pool, 0, 1, og, (int)K, (int)(nb * P), 1.0, src, (int)(nb * P), col, (int)(nb * P), beta,
               dw + (int64_t)gi * og * K, (int)K);
    }
  }
  if (dbias) {
    dbias_t t = {dy, dbias, n, outC, P, accumulate};
    ax_parallel_for(pool, outC, 4, dbias_task, &t);
  }
}
