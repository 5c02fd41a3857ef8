/*
 * Max pooling over size×size windows. A window's winner is its first maximum in row-major order,
 * padding excluded; the backward pass recomputes it from x, exactly as the reference does. Both
 * directions work on whole (n, c) planes, so threads never share an output element.
 *
 * The rule: the window's first valid element seeds the search and only a strictly greater value
 * replaces the winner. So ties keep the first, a NaN never replaces anything, and a NaN in first
 * place wins: the reference's `x[xi] > x[best]`, down to which zero (±0) comes out. Windows that
 * lie inside the plane horizontally run one window per lane across a row of outputs, so the
 * compiler vectorises them; the few that overlap the left/right padding take the scalar path.
 */
#include <string.h>

#include "alexnet_native.h"
#include "pool.h"

#define GRAIN 16384 /* input elements per chunk */
#define LANES 128   /* windows per vectorised run (stack arrays) */

typedef struct {
  const float *x, *dy;
  float *y, *dx;
  ax_pool *pool;
  int h, w, size, stride, pad, outH, outW, accumulate;
  int ox_lo, ox_hi; /* the outputs whose windows need no horizontal clipping */
} maxpool_ctx;

static int imax(int a, int b) { return a > b ? a : b; }
static int imin(int a, int b) { return a < b ? a : b; }

/* Scalar: offset (in the plane) of the winner of the window at column x0, rows [ya, yb). */
static int window_argmax(const maxpool_ctx *t, const float *plane, int ya, int yb, int x0) {
  const int xa = imax(x0, 0), xb = imin(x0 + t->size, t->w);
  int best = ya * t->w + xa;
  float bv = plane[best];
  for (int iy = ya; iy < yb; iy++)
    for (int ix = xa; ix < xb; ix++)
      if (plane[iy * t->w + ix] > bv) {
        bv = plane[iy * t->w + ix];
        best = iy * t->w + ix;
      }
  return best;
}

/*
 * Vectorised: the maxima of the n windows at columns x0, x0 + stride, … (all inside the plane),
 * rows [ya, yb), walked in the scalar rule's order; with `bi`, also their offsets in the plane.
 * Inlined with a constant stride, so the strided loads become vector loads and shuffles.
 */
static inline void run_max(const float *plane, int w, int ya, int yb, int x0, int n, int stride, int size,
                           float *bv, int *bi) {
  for (int o = 0; o < n; o++) bv[o] = plane[ya * w + x0 + o * stride];
  if (bi)
    for (int o = 0; o < n; o++) bi[o] = ya * w + x0 + o * stride;
  for (int iy = ya; iy < yb; iy++)
    for (int kx = iy == ya; kx < size; kx++) {
      const int at = iy * w + x0 + kx;
      const float *src = plane + at;
      if (bi)
        for (int o = 0; o < n; o++) {
          const float v = src[o * stride], b = bv[o];
          const int win = -(v > b); /* all ones or zero: a branch-free select, which vectorises */
          bv[o] = v > b ? v : b;
          bi[o] = ((at + o * stride) & win) | (bi[o] & ~win);
        }
      else
        for (int o = 0; o < n; o++) {
          const float v = src[o * stride];
          bv[o] = v > bv[o] ? v : bv[o];
        }
    }
}

static void run_max_dispatch(const maxpool_ctx *t, const float *plane, int ya, int yb, int x0, int n, float *bv,
                             int *bi) {
  switch (t->stride) { /* the paper's pooling is z = 3, s = 2 */
  case 1: run_max(plane, t->w, ya, yb, x0, n, 1, t->size, bv, bi); break;
  case 2: run_max(plane, t->w, ya, yb, x0, n, 2, t->size, bv, bi); break;
  default: run_max(plane, t->w, ya, yb, x0, n, t->stride, t->size, bv, bi); break;
  }
}

/*
 * Calls visit(oy, ox, winner offset) for every window of one plane in (oy, ox) order, or, when
 * `y` is given, just writes the maxima of that plane's output.
 */
static void plane_windows(const maxpool_ctx *t, const float *plane, float *y, const float *dy, double *g) {
  float bv[LANES];
  int bi[LANES];
  for (int oy = 0; oy < t->outH; oy++) {
    const int y0 = oy * t->stride - t->pad;
    const int ya = imax(y0, 0), yb = imin(y0 + t->size, t->h);
    const float *dyr = dy ? dy + (int64_t)oy * t->outW : NULL;
    for (int ox = 0; ox < t->outW;) {
      const int x0 = ox * t->stride - t->pad;
      if (ox < t->ox_lo || ox >= t->ox_hi) { /* clipped by the left or right padding */
        const int best = window_argmax(t, plane, ya, yb, x0);
        if (y) y[(int64_t)oy * t->outW + ox] = plane[best];
        else g[best] += dyr[ox];
        ox++;
        continue;
      }
      const int n = imin(t->ox_hi - ox, LANES);
      run_max_dispatch(t, plane, ya, yb, x0, n, bv, y ? NULL : bi);
      if (y) memcpy(y + (int64_t)oy * t->outW + ox, bv, (size_t)n * sizeof(float));
      else
        for (int o = 0; o < n; o++) g[bi[o]] += dyr[ox + o]; /* in window order, as the reference */
      ox += n;
    }
  }
}

static void forward_task(void *vctx, int64_t begin, int64_t end, int thread) {
  (void)thread;
  const maxpool_ctx *t = vctx;
  const int64_t in_plane = (int64_t)t->h * t->w, out_plane = (int64_t)t->outH * t->outW;
  for (int64_t p = begin; p < end; p++) plane_windows(t, t->x + p * in_plane, t->y + p * out_plane, NULL, NULL);
}

/*
 * Scatter per plane into a double plane, in the reference's window order, then store once: the
 * same sums in the same order as the reference's Float64Array, so the result is bit-identical.
 */
static void backward_task(void *vctx, int64_t begin, int64_t end, int thread) {
  const maxpool_ctx *t = vctx;
  const int64_t in_plane = (int64_t)t->h * t->w, out_plane = (int64_t)t->outH * t->outW;
  double *g = ax_scratch(t->pool, thread, 0, (size_t)in_plane * sizeof(double));
  for (int64_t p = begin; p < end; p++) {
    float *dx = t->dx + p * in_plane;
    memset(g, 0, (size_t)in_plane * sizeof(double));
    plane_windows(t, t->x + p * in_plane, NULL, t->dy + p * out_plane, g);
    if (t->accumulate)
      for (int64_t i = 0; i < in_plane; i++) dx[i] = (float)(dx[i] + g[i]);
    else
      for (int64_t i = 0; i < in_plane; i++) dx[i] = (float)g[i];
  }
}

static void init(maxpool_ctx *t, int h, int w, int size, int stride, int pad) {
  t->h = h;
  t->w = w;
  t->size = size;
  t->stride = stride;
  t->pad = pad;
  t->outH = (h + 2 * pad - size) / stride + 1;
  t->outW = (w + 2 * pad - size) / stride + 1;
  /* ox·stride − pad >= 0 and ox·stride − pad + size <= w */
  t->ox_lo = imin((pad + stride - 1) / stride, t->outW);
  t->ox_hi = w - size + pad < 0 ? 0 : imin((w - size + pad) / stride + 1, t->outW);
  if (t->ox_hi < t->ox_lo) t->ox_hi = t->ox_lo;
}

static int64_t plane_grain(int h, int w) {
  const int64_t plane = (int64_t)h * w;
  return plane >= GRAIN ? 1 : GRAIN / plane;
}

void ax_maxpool_forward(ax_pool *pool, const float *x, float *y, int n, int c, int h, int w, int size, int stride,
                        int pad) {
  maxpool_ctx t = {.x = x, .y = y, .pool = pool};
  init(&t, h, w, size, stride, pad);
  ax_parallel_for(pool, (int64_t)n * c, plane_grain(h, w), forward_task, &t);
}

void ax_maxpool_backward(ax_pool *pool, const float *x, const float *dy, float *dx, int n, int c, int h, int w,
                         int size, int stride, int pad, int accumulate) {
  maxpool_ctx t = {.x = x, .dy = dy, .dx = dx, .pool = pool, .accumulate = accumulate};
  init(&t, h, w, size, stride, pad);
  ax_parallel_for(pool, (int64_t)n * c, plane_grain(h, w), backward_task, &t);
}
