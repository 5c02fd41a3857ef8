/*
 * Local response normalisation across channels (the paper's §3.3; alpha not divided by size):
 *   scale_i = k + alpha·Σ_{j∈window(i)} x_j²,  y_i = x_i·scale_i^(−beta),
 *   dx_i = dy_i·scale_i^(−beta) − 2·alpha·beta·x_i·Σ_{j∈window(i)} dy_j·y_j/scale_j,
 * window(i) = [i − size/2, i + size/2] clipped to i's channel group.
 *
 * A task is one block of up to BLOCK pixels of one (example, group). It slides the window down the
 * group's channels with a running sum per pixel (add the channel entering, subtract the one
 * leaving: O(c), not O(c·size)), in double, and every inner loop runs along the contiguous pixels.
 */
#include <math.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "alexnet_native.h"
#include "pool.h"

#define BLOCK 256   /* pixels per task: three double rows of it stay in L1 */
#define GRAIN 16384 /* elements per chunk */

typedef struct {
  const float *x, *y, *scale, *dy;
  float *y_out, *scale_out, *dx;
  int c, plane, size, groups, blocks, accumulate;
  double alpha, beta, k;
} lrn_ctx;

/*
 * out = s^(−beta). pow is most of LRN's cost, so the paper's beta = 0.75 (and 0.5) use sqrt and
 * division in float, four at a time with SSE2 (the x86-64 baseline; the compiler will not
 * vectorise sqrt itself, as it may set errno). Float roots of the float-rounded scale cost about
 * 2e-7 relative error, against 1e-5 allowed, and nearly halve the time of the forward pass; the
 * scalar tail does the same float operations, so results do not depend on position.
 */
static inline double neg_pow_075(double s) {
  const float r = sqrtf((float)s);
  return 1.0f / (r * sqrtf(r));
}
static inline double neg_pow_05(double s) { return 1.0f / sqrtf((float)s); }

#ifdef __SSE2__
static inline __m128 load4(const double *s) {
  return _mm_movelh_ps(_mm_cvtpd_ps(_mm_loadu_pd(s)), _mm_cvtpd_ps(_mm_loadu_pd(s + 2)));
}
static inline void store4(double *out, __m128 v) {
  _mm_storeu_pd(out, _mm_cvtps_pd(v));
  _mm_storeu_pd(out + 2, _mm_cvtps_pd(_mm_movehl_ps(v, v)));
}
#endif

static void neg_pow(const double *s, double *out, int np, double beta) {
  int p = 0;
  if (beta == 0.75) {
#ifdef __SSE2__
    for (; p + 4 <= np; p += 4) {
      const __m128 r = _mm_sqrt_ps(load4(s + p));
      store4(out + p, _mm_div_ps(_mm_set1_ps(1.0f), _mm_mul_ps(r, _mm_sqrt_ps(r))));
    }
#endif
    for (; p < np; p++) out[p] = neg_pow_075(s[p]);
  } else if (beta == 0.5) {
#ifdef __SSE2__
    for (; p + 4 <= np; p += 4) store4(out + p, _mm_div_ps(_mm_set1_ps(1.0f), _mm_sqrt_ps(load4(s + p))));
#endif
    for (; p < np; p++) out[p] = neg_pow_05(s[p]);
  } else if (beta == 1.0) {
    for (; p < np; p++) out[p] = 1.0 / s[p];
  } else {
    for (; p < np; p++) out[p] = pow(s[p], -beta);
  }
}

/* acc[p] ±= v_j[p] over the block's pixels, v = x² (forward) or dy·y/scale (backward); `at` is channel j's
 * first pixel of the block. The same expression both ways, so what leaves is exactly what entered. */
static void slide(const lrn_ctx *t, int64_t at, int np, double sign, double *acc, int backward) {
  if (!backward) {
    const float *x = t->x + at;
    for (int p = 0; p < np; p++) acc[p] += sign * ((double)x[p] * x[p]);
  } else {
    const float *dy = t->dy + at, *y = t->y + at, *s = t->scale + at;
    for (int p = 0; p < np; p++) acc[p] += sign * ((double)dy[p] * y[p] / s[p]);
  }
}

static void lrn_task(const lrn_ctx *t, int64_t begin, int64_t end, int backward) {
  const int cg = t->c / t->groups, half = t->size / 2;
  const int64_t plane = t->plane;
  const double c2 = 2 * t->alpha * t->beta; /* associated as the reference: ((2·alpha·beta)·x)·Σ */
  double acc[BLOCK], sv[BLOCK], pw[BLOCK];
  for (int64_t task = begin; task < end; task++) {
    /* task = (example·groups + group)·blocks + block; the group's first channel is (that)·cg */
    const int64_t b = task % t->blocks, ng = task / t->blocks;
    const int64_t p0 = b * BLOCK;
    const int np = (int)(plane - p0 < BLOCK ? plane - p0 : BLOCK);
    const int64_t base = ng * cg * plane + p0;
    for (int p = 0; p < np; p++) acc[p] = 0;
    for (int j = 0; j <= half && j < cg; j++) slide(t, base + j * plane, np, 1.0, acc, backward);
    for (int ci = 0; ci < cg; ci++) {
      if (ci > 0) { /* the window moves from [ci−1−half, ci−1+half] to [ci−half, ci+half] */
        if (ci + half < cg) slide(t, base + (ci + half) * plane, np, 1.0, acc, backward);
        if (ci - half - 1 >= 0) slide(t, base + (ci - half - 1) * plane, np, -1.0, acc, backward);
      }
      const int64_t at = base + ci * plane;
      const float *x = t->x + at;
      if (!backward) {
        float *y = t->y_out + at, *scale = t->scale_out + at;
        for (int p = 0; p < np; p++) sv[p] = t->k + t->alpha * acc[p];
        neg_pow(sv, pw, np, t->beta);
        for (int p = 0; p < np; p++) {
          scale[p] = (float)sv[p];
          y[p] = (float)(x[p] * pw[p]); /* from the unrounded scale, as the reference */
        }
      } else {
        const float *scale = t->scale + at, *dy = t->dy + at;
        float *dx = t->dx + at;
        for (int p = 0; p < np; p++) sv[p] = scale[p];
        neg_pow(sv, pw, np, t->beta);
        if (t->accumulate)
          for (int p = 0; p < np; p++) dx[p] = (float)(dx[p] + (dy[p] * pw[p] - c2 * x[p] * acc[p]));
        else
          for (int p = 0; p < np; p++) dx[p] = (float)(dy[p] * pw[p] - c2 * x[p] * acc[p]);
      }
    }
  }
}

static void forward_task(void *ctx, int64_t begin, int64_t end, int thread) {
  (void)thread;
  lrn_task(ctx, begin, end, 0);
}

static void backward_task(void *ctx, int64_t begin, int64_t end, int thread) {
  (void)thread;
  lrn_task(ctx, begin, end, 1);
}

static void run(ax_pool *pool, lrn_ctx *t, int n, int h, int w, ax_task_fn fn) {
  t->plane = h * w;
  t->blocks = (t->plane + BLOCK - 1) / BLOCK;
  const int64_t per_task = (int64_t)(t->c / t->groups) * (t->plane < BLOCK ? t->plane : BLOCK);
  const int64_t grain = per_task >= GRAIN ? 1 : GRAIN / per_task;
  ax_parallel_for(pool, (int64_t)n * t->groups * t->blocks, grain, fn, t);
}

void ax_lrn_forward(ax_pool *pool, const float *x, float *y, float *scale, int n, int c, int h, int w, int size,
                    double alpha, double beta, double k, int groups) {
  lrn_ctx t = {.x = x, .y_out = y, .scale_out = scale, .c = c, .size = size, .groups = groups,
               .alpha = alpha, .beta = beta, .k = k};
  run(pool, &t, n, h, w, forward_task);
}

void ax_lrn_backward(ax_pool *pool, const float *x, const float *y, const float *scale, const float *dy, float *dx,
                     int n, int c, int h, int w, int size, double alpha, double beta, double k, int groups,
                     int accumulate) {
  lrn_ctx t = {.x = x, .y = y, .scale = scale, .dy = dy, .dx = dx, .c = c, .size = size, .groups = groups,
               .alpha = alpha, .beta = beta, .k = k, .accumulate = accumulate};
  run(pool, &t, n, h, w, backward_task);
}
