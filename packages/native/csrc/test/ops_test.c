/*
 * Tests of the ops kernels (everything but GEMM and convolution) against naive double-precision
 * versions that mirror the TypeScript reference backend (packages/tensor/src/reference), on small
 * odd shapes, plus the Philox4x32-10 known-answer vectors and stream values that the TypeScript
 * generator produces.
 * Build (from packages/native; pool_stub.c stands in for the thread pool):
 *   gcc -O2 -Wall -Wextra -Werror -std=c11 -Icsrc csrc/ops*.c csrc/philox.c csrc/test/pool_stub.c \
 *       csrc/test/ops_test.c -lm -o /tmp/ops_test && /tmp/ops_test
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alexnet_native.h"
#include "philox.h"

static int failures = 0, checks = 0;

#define CHECK(cond, ...)                                   \
  do {                                                     \
    checks++;                                              \
    if (!(cond)) {                                         \
      failures++;                                          \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf(stderr, __VA_ARGS__);                        \
      fprintf(stderr, "\n");                               \
    }                                                      \
  } while (0)

/* ---- helpers ---------------------------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static double rnd(void) { /* splitmix64 → [0, 1) */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return (double)((z ^ (z >> 31)) >> 11) * 0x1p-53;
}
static float *rand_buf(int64_t n, double lo, double hi) {
  float *p = malloc((size_t)n * sizeof(float));
  for (int64_t i = 0; i < n; i++) p[i] = (float)(lo + (hi - lo) * rnd());
  return p;
}
/* Few distinct values, both zeros among them, so pooling windows are full of ties. */
static float *tie_buf(int64_t n) {
  static const float values[5] = {-2.0f, -1.0f, -0.0f, 0.0f, 1.0f};
  float *p = malloc((size_t)n * sizeof(float));
  for (int64_t i = 0; i < n; i++) p[i] = values[(int)(rnd() * 5)];
  return p;
}
static float *nan_buf(int64_t n) {
  float *p = malloc((size_t)n * sizeof(float));
  for (int64_t i = 0; i < n; i++) p[i] = NAN;
  return p;
}
static float *copy_buf(const float *s, int64_t n) {
  float *p = malloc((size_t)n * sizeof(float));
  memcpy(p, s, (size_t)n * sizeof(float));
  return p;
}
static double *dbuf(int64_t n) { return calloc((size_t)n, sizeof(double)); }

/* ‖got − want‖ / ‖want‖, the conformance suite's measure. */
static double rel_l2(const float *got, const double *want, int64_t n) {
  double num = 0, den = 0;
  for (int64_t i = 0; i < n; i++) {
    const double d = got[i] - want[i];
    num += d * d;
    den += want[i] * want[i];
  }
  if (num != num) return INFINITY;
  return den > 0 ? sqrt(num / den) : sqrt(num);
}
/* Same value as float32 (NaN matches NaN; -0 and +0 differ, so signs of zero are checked too). */
static int64_t first_mismatch(const float *got, const double *want, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float w = (float)want[i];
    if (isnan(got[i]) && isnan(w)) continue;
    if (memcmp(&got[i], &w, sizeof w) != 0) return i;
  }
  return -1;
}

#define TOL 1e-6

/* ---- Philox ----------------------------------------------------------------------------------- */

static void test_philox(void) {
  static const uint32_t kat[3][10] = {
      {0, 0, 0, 0, 0, 0, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u},
      {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu,
       0xa20bc7c6u, 0x6d5451fdu},
      {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu,
       0x5001e420u, 0x24126ea1u},
  };
  for (int v = 0; v < 3; v++) {
    uint32_t out[4];
    ax_philox4x32(kat[v], kat[v] + 4, out);
    for (int l = 0; l < 4; l++)
      CHECK(out[l] == kat[v][6 + l], "KAT %d lane %d: %08x != %08x", v, l, out[l], kat[v][6 + l]);
  }
  /* Only the first vector has counter words 2, 3 = 0, i.e. lies in a stream: seed 0, values 0…3. */
  for (int l = 0; l < 4; l++)
    CHECK(ax_philox_u32(0, (uint64_t)l) == kat[0][6 + l], "ax_philox_u32(0, %d) != KAT 0", l);

  /* From packages/tensor/src/rng/philox.ts: philoxU32(2^40 + 77, 2^34 + 2, 9) and philoxU32(12345, 0, 6). */
  static const uint32_t ts_hi[9] = {0x4de99391u, 0x906df18bu, 0xf5de6567u, 0xeea86186u, 0xcc56e183u,
                                    0x63c1339fu, 0x2bb0d6a4u, 0xbbbc327bu, 0x6bba2fa3u};
  static const uint32_t ts_lo[6] = {0xd1fa3e81u, 0x2f7fea51u, 0xd2ca9611u, 0xe328bbe0u, 0x00b66929u, 0x24f09764u};
  for (int i = 0; i < 9; i++) {
    const uint32_t got = ax_philox_u32((1ull << 40) + 77, (1ull << 34) + 2 + (uint64_t)i);
    CHECK(got == ts_hi[i], "stream (2^40+77) value %d: %08x != %08x", i, got, ts_hi[i]);
  }
  for (int i = 0; i < 6; i++) CHECK(ax_philox_u32(12345, (uint64_t)i) == ts_lo[i], "stream 12345 value %d", i);
}

/* ---- elementwise ------------------------------------------------------------------------------ */

static void test_relu(ax_pool *pool) {
  const int64_t n = 40003;
  float *x = rand_buf(n, -1, 1), *y = nan_buf(n);
  x[5] = NAN;
  x[6] = -0.0f;
  x[7] = INFINITY;
  x[8] = -INFINITY;
  double *want = dbuf(n);
  for (int64_t i = 0; i < n; i++) want[i] = isnan(x[i]) ? x[i] : fmax(0.0, x[i]); /* Math.max(0, x) */
  ax_relu(pool, x, y, n);
  CHECK(first_mismatch(y, want, n) < 0, "relu mismatch at %lld", (long long)first_mismatch(y, want, n));
  ax_relu(pool, x, x, n); /* in place */
  CHECK(first_mismatch(x, want, n) < 0, "relu in place mismatch");
  CHECK(signbit(x[6]) == 0, "relu(-0) must be +0");

  float *dy = rand_buf(n, -1, 1), *yy = rand_buf(n, -1, 1);
  dy[3] = -0.0f;
  yy[3] = 1;
  for (int acc = 0; acc <= 1; acc++) {
    float *dx = acc ? rand_buf(n, -1, 1) : nan_buf(n);
    double *g = dbuf(n);
    for (int64_t i = 0; i < n; i++) g[i] = (acc ? dx[i] : 0.0) + (yy[i] > 0 ? dy[i] : 0.0);
    ax_relu_backward(pool, yy, dy, dx, n, acc);
    CHECK(first_mismatch(dx, g, n) < 0, "relu_backward acc=%d mismatch", acc);
    free(dx);
    free(g);
  }
  /* dx over dy */
  float *d2 = copy_buf(dy, n);
  double *g = dbuf(n);
  for (int64_t i = 0; i < n; i++) g[i] = 0.0 + (yy[i] > 0 ? dy[i] : 0.0);
  ax_relu_backward(pool, yy, d2, d2, n, 0);
  CHECK(first_mismatch(d2, g, n) < 0, "relu_backward in place mismatch");
  free(d2), free(g), free(x), free(y), free(want), free(dy), free(yy);
}

static void test_tanh(ax_pool *pool) {
  const int64_t n = 33333;
  float *x = rand_buf(n, -4, 4), *y = nan_buf(n);
  double *want = dbuf(n);
  for (int64_t i = 0; i < n; i++) want[i] = tanh(x[i]);
  ax_tanh(pool, x, y, n);
  CHECK(rel_l2(y, want, n) <= TOL, "tanh rel %g", rel_l2(y, want, n));
  float *dy = rand_buf(n, -1, 1);
  for (int acc = 0; acc <= 1; acc++) {
    float *dx = acc ? rand_buf(n, -1, 1) : nan_buf(n);
    double *g = dbuf(n);
    for (int64_t i = 0; i < n; i++) g[i] = (acc ? dx[i] : 0.0) + (double)dy[i] * (1 - (double)y[i] * y[i]);
    ax_tanh_backward(pool, y, dy, dx, n, acc);
    CHECK(rel_l2(dx, g, n) <= TOL, "tanh_backward acc=%d rel %g", acc, rel_l2(dx, g, n));
    free(dx);
    free(g);
  }
  free(x), free(y), free(want), free(dy);
}

static void dropout_ref(const float *x, double *y, double *mask, int64_t n, double p, uint64_t seed, uint64_t off) {
  const float keep = (float)(1 / (1 - p));
  for (int64_t i = 0; i < n; i++) {
    const double u = (double)(ax_philox_u32(seed, off + (uint64_t)i) >> 8) * 0x1p-24;
    mask[i] = u >= p ? keep : 0.0f;
    y[i] = (float)(x[i] * mask[i]);
  }
}

static void test_dropout(ax_pool *pool) {
  /* A length over several chunks and an offset that is not a multiple of 4 test the block seams. */
  const int64_t n = 50001;
  const double ps[4] = {0.5, 0.3, 0.0, 1.0}; /* p = 1 drops everything (1/(1 − p) = inf is never used) */
  for (int k = 0; k < 4; k++) {
    const uint64_t seed = (1ull << 33) + 9, off = (1ull << 34) + 3;
    float *x = rand_buf(n, -2, 2), *y = nan_buf(n), *mask = nan_buf(n);
    double *wy = dbuf(n), *wm = dbuf(n);
    dropout_ref(x, wy, wm, n, ps[k], seed, off);
    ax_dropout_forward(pool, x, y, mask, n, ps[k], seed, off);
    CHECK(first_mismatch(mask, wm, n) < 0, "dropout mask p=%g mismatch", ps[k]);
    CHECK(first_mismatch(y, wy, n) < 0, "dropout y p=%g mismatch", ps[k]);
    if (ps[k] == 0.3) {
      /* From the TypeScript reference dropoutForward (same seed, offset, p, length). */
      int64_t kept = 0;
      uint32_t h = 0, bits = 0;
      for (int64_t i = 0; i < n; i++) {
        kept += mask[i] != 0;
        h = h * 31u + (mask[i] != 0);
        if (mask[i] != 0 && !bits) memcpy(&bits, &mask[i], 4);
      }
      CHECK(kept == 35006 && h == 0xa79f7a0au && bits == 0x3fb6db6eu, "dropout vs TypeScript: %lld %08x %08x",
            (long long)kept, h, bits);
    }
    float *dy = rand_buf(n, -1, 1);
    for (int acc = 0; acc <= 1; acc++) {
      float *dx = acc ? rand_buf(n, -1, 1) : nan_buf(n);
      double *g = dbuf(n);
      for (int64_t i = 0; i < n; i++) g[i] = (acc ? dx[i] : 0.0) + (double)dy[i] * mask[i];
      ax_dropout_backward(pool, dy, mask, dx, n, acc);
      CHECK(first_mismatch(dx, g, n) < 0, "dropout_backward acc=%d mismatch", acc);
      free(dx);
      free(g);
    }
    free(x), free(y), free(mask), free(wy), free(wm), free(dy);
  }
  /* u == p keeps the element, p one double ulp above u drops it: the comparison and the 2^-24 scale. */
  const uint64_t seed = 77, off = 5;
  const int64_t len = 40000, at = 31234;
  const double u = (double)(ax_philox_u32(seed, off + (uint64_t)at) >> 8) * 0x1p-24;
  float *x = rand_buf(len, 1, 2), *y = nan_buf(len), *mask = nan_buf(len);
  ax_dropout_forward(pool, x, y, mask, len, u, seed, off);
  CHECK(mask[at] == (float)(1 / (1 - u)) && y[at] != 0, "dropout must keep u == p (u = %.17g)", u);
  ax_dropout_forward(pool, x, y, mask, len, nextafter(u, 1.0), seed, off);
  CHECK(mask[at] == 0 && y[at] == 0, "dropout must drop u < p (u = %.17g)", u);
  free(x), free(y), free(mask);
}

static void test_sgd_axpy(ax_pool *pool) {
  const int64_t n = 40001;
  float *w = rand_buf(n, -1, 1), *g = rand_buf(n, -1, 1), *v = rand_buf(n, -0.1, 0.1);
  double *ww = dbuf(n), *wv = dbuf(n);
  const double lr = 0.01, mom = 0.9, wd = 0.0005;
  for (int64_t i = 0; i < n; i++) {
    const double vi = mom * v[i] - wd * lr * w[i] - lr * g[i];
    wv[i] = (float)vi;
    ww[i] = (float)(w[i] + vi);
  }
  ax_sgd_update(pool, w, g, v, n, lr, mom, wd);
  CHECK(first_mismatch(w, ww, n) < 0, "sgd w mismatch");
  CHECK(first_mismatch(v, wv, n) < 0, "sgd v mismatch");

  float *x = rand_buf(n, -1, 1), *y = rand_buf(n, -1, 1);
  double *wy = dbuf(n);
  for (int64_t i = 0; i < n; i++) wy[i] = (float)(y[i] + 0.37 * x[i]);
  ax_axpy(pool, x, y, n, 0.37);
  CHECK(first_mismatch(y, wy, n) < 0, "axpy mismatch");
  free(w), free(g), free(v), free(ww), free(wv), free(x), free(y), free(wy);
}

/* ---- max pooling ------------------------------------------------------------------------------ */

typedef struct {
  int n, c, h, w, size, stride, pad;
} pool_shape;

static int out_size(int in, int size, int stride, int pad) { return (in + 2 * pad - size) / stride + 1; }

/* The reference's forEachWindowMax: g[arg-max] += dy (backward) and y = x[arg-max] (forward). */
static void maxpool_ref(const float *x, const float *dy, double *y, double *g, pool_shape a) {
  const int oh = out_size(a.h, a.size, a.stride, a.pad), ow = out_size(a.w, a.size, a.stride, a.pad);
  for (int nc = 0; nc < a.n * a.c; nc++)
    for (int oy = 0; oy < oh; oy++)
      for (int ox = 0; ox < ow; ox++) {
        int best = -1;
        for (int ky = 0; ky < a.size; ky++) {
          const int iy = oy * a.stride - a.pad + ky;
          if (iy < 0 || iy >= a.h) continue;
          for (int kx = 0; kx < a.size; kx++) {
            const int ix = ox * a.stride - a.pad + kx;
            if (ix < 0 || ix >= a.w) continue;
            const int xi = (nc * a.h + iy) * a.w + ix;
            if (best < 0 || x[xi] > x[best]) best = xi;
          }
        }
        const int yi = (nc * oh + oy) * ow + ox;
        y[yi] = x[best];
        g[best] += dy[yi];
      }
}

static void test_maxpool(ax_pool *pool) {
  const pool_shape shapes[] = {
      {2, 3, 7, 9, 3, 2, 1}, {3, 5, 13, 11, 3, 2, 0}, {1, 4, 9, 7, 3, 1, 0},
      {2, 3, 5, 7, 2, 2, 1}, {2, 2, 6, 5, 4, 3, 2},   {1, 700, 3, 3, 3, 2, 1},
      {1, 2, 5, 301, 3, 2, 1}, {2, 3, 6, 140, 3, 1, 1}, {1, 3, 11, 11, 5, 3, 2}, /* runs over 128 windows */
      {2, 96, 55, 55, 3, 2, 0},                                                 /* pool1 */
  };
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    const pool_shape a = shapes[s];
    const int64_t nx = (int64_t)a.n * a.c * a.h * a.w;
    const int64_t ny = (int64_t)a.n * a.c * out_size(a.h, a.size, a.stride, a.pad) *
                       out_size(a.w, a.size, a.stride, a.pad);
    for (int ties = 0; ties <= 1; ties++) {
      float *x = ties ? tie_buf(nx) : rand_buf(nx, -1, 1), *dy = rand_buf(ny, -1, 1), *y = nan_buf(ny);
      if (ties) x[1] = NAN, x[nx - 2] = NAN; /* a NaN first in a window wins; elsewhere it never does */
      double *wy = dbuf(ny), *g = dbuf(nx);
      maxpool_ref(x, dy, wy, g, a);
      ax_maxpool_forward(pool, x, y, a.n, a.c, a.h, a.w, a.size, a.stride, a.pad);
      CHECK(first_mismatch(y, wy, ny) < 0, "maxpool forward shape %zu ties %d mismatch", s, ties);
      for (int acc = 0; acc <= 1; acc++) {
        float *dx = acc ? rand_buf(nx, -1, 1) : nan_buf(nx);
        double *want = dbuf(nx);
        for (int64_t i = 0; i < nx; i++) want[i] = (float)(acc ? dx[i] + g[i] : g[i]);
        ax_maxpool_backward(pool, x, dy, dx, a.n, a.c, a.h, a.w, a.size, a.stride, a.pad, acc);
        CHECK(first_mismatch(dx, want, nx) < 0, "maxpool backward shape %zu ties %d acc %d mismatch", s, ties, acc);
        free(dx);
        free(want);
      }
      free(x), free(dy), free(y), free(wy), free(g);
    }
  }
}

/* ---- LRN -------------------------------------------------------------------------------------- */

typedef struct {
  int n, c, h, w, size, groups;
  double alpha, beta, k;
} lrn_shape;

/* The reference's window: [c − size/2, c + size/2] clipped to c's group. */
static void lrn_window(lrn_shape a, int c, int *lo, int *hi) {
  const int half = (a.size - 1) / 2, cg = a.c / a.groups, g0 = c / cg * cg;
  *lo = c - half > g0 ? c - half : g0;
  *hi = c + half < g0 + cg - 1 ? c + half : g0 + cg - 1;
}

static void test_lrn(ax_pool *pool) {
  const lrn_shape shapes[] = {
      {2, 10, 3, 5, 5, 2, 1e-4, 0.75, 2},   /* the paper's constants, two towers */
      {2, 12, 7, 9, 5, 2, 1e-4, 0.75, 2},   /* the same with x scaled so that alpha·Σx² ≈ k */
      {3, 7, 5, 3, 3, 1, 0.3, 0.6, 1.5},    /* pow path, strong normalisation */
      {1, 12, 17, 19, 5, 2, 0.05, 0.75, 2}, /* a plane over one block (323 > 256 pixels) */
      {2, 9, 1, 1, 7, 3, 0.2, 0.5, 1},      /* window wider than the group */
      {2, 6, 4, 3, 1, 1, 0.1, 1.0, 1},      /* size 1 */
  };
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    const lrn_shape a = shapes[s];
    const int plane = a.h * a.w;
    const int64_t len = (int64_t)a.n * a.c * plane;
    const double amp = s == 1 ? 110 : 3;
    float *x = rand_buf(len, -amp, amp), *y = nan_buf(len), *scale = nan_buf(len), *dy = rand_buf(len, -1, 1);
    double *wy = dbuf(len), *ws = dbuf(len), *g = dbuf(len);
    for (int n = 0; n < a.n; n++)
      for (int c = 0; c < a.c; c++) {
        int lo, hi;
        lrn_window(a, c, &lo, &hi);
        for (int p = 0; p < plane; p++) {
          double sq = 0;
          for (int j = lo; j <= hi; j++) {
            const double v = x[((int64_t)n * a.c + j) * plane + p];
            sq += v * v;
          }
          const int64_t i = ((int64_t)n * a.c + c) * plane + p;
          ws[i] = a.k + a.alpha * sq;
          wy[i] = x[i] * pow(ws[i], -a.beta);
        }
      }
    ax_lrn_forward(pool, x, y, scale, a.n, a.c, a.h, a.w, a.size, a.alpha, a.beta, a.k, a.groups);
    CHECK(rel_l2(y, wy, len) <= TOL, "lrn forward shape %zu y rel %g", s, rel_l2(y, wy, len));
    CHECK(rel_l2(scale, ws, len) <= TOL, "lrn forward shape %zu scale rel %g", s, rel_l2(scale, ws, len));
    /* Backward from the kernel's own (float) y and scale, as the contract's caller passes them. */
    for (int n = 0; n < a.n; n++)
      for (int c = 0; c < a.c; c++) {
        int lo, hi;
        lrn_window(a, c, &lo, &hi);
        for (int p = 0; p < plane; p++) {
          double cross = 0;
          for (int j = lo; j <= hi; j++) {
            const int64_t jj = ((int64_t)n * a.c + j) * plane + p;
            cross += (double)dy[jj] * y[jj] / scale[jj];
          }
          const int64_t i = ((int64_t)n * a.c + c) * plane + p;
          g[i] = dy[i] * pow(scale[i], -a.beta) - 2 * a.alpha * a.beta * x[i] * cross;
        }
      }
    for (int acc = 0; acc <= 1; acc++) {
      float *dx = acc ? rand_buf(len, -1, 1) : nan_buf(len);
      double *want = dbuf(len);
      for (int64_t i = 0; i < len; i++) want[i] = (acc ? dx[i] : 0.0) + g[i];
      ax_lrn_backward(pool, x, y, scale, dy, dx, a.n, a.c, a.h, a.w, a.size, a.alpha, a.beta, a.k, a.groups, acc);
      CHECK(rel_l2(dx, want, len) <= TOL, "lrn backward shape %zu acc %d rel %g", s, acc, rel_l2(dx, want, len));
      free(dx);
      free(want);
    }
    free(x), free(y), free(scale), free(dy), free(wy), free(ws), free(g);
  }
}

/* ---- bias, softmax, channels ------------------------------------------------------------------ */

static void test_bias(ax_pool *pool) {
  const int shapes[][3] = {{3, 7, 11}, {5, 300, 1}, {2, 1, 9}, {4, 33, 41}, {1, 5000, 1}, {7, 3001, 1}, {4, 1003, 17}};
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    const int n = shapes[s][0], c = shapes[s][1], sp = shapes[s][2];
    const int64_t len = (int64_t)n * c * sp;
    float *x = rand_buf(len, -1, 1), *b = rand_buf(c, -1, 1), *y = nan_buf(len);
    double *want = dbuf(len);
    for (int64_t i = 0; i < len; i++) want[i] = (float)(x[i] + b[(i / sp) % c]);
    ax_bias_add(pool, x, b, y, n, c, sp);
    CHECK(first_mismatch(y, want, len) < 0, "bias_add shape %zu mismatch", s);
    ax_bias_add(pool, x, b, x, n, c, sp);
    CHECK(first_mismatch(x, want, len) < 0, "bias_add in place shape %zu mismatch", s);
    for (int acc = 0; acc <= 1; acc++) {
      float *db = acc ? rand_buf(c, -1, 1) : nan_buf(c);
      double *g = dbuf(c);
      for (int64_t i = 0; i < len; i++) g[(i / sp) % c] += y[i];
      for (int k = 0; k < c; k++) g[k] += acc ? db[k] : 0.0;
      ax_bias_grad(pool, y, db, n, c, sp, acc);
      CHECK(rel_l2(db, g, c) <= TOL, "bias_grad shape %zu acc %d rel %g", s, acc, rel_l2(db, g, c));
      free(db);
      free(g);
    }
    free(x), free(b), free(y), free(want);
  }
}

static void softmax_ref(const float *z, int classes, double *p, double *lse) {
  double max = -INFINITY, sum = 0;
  for (int j = 0; j < classes; j++) max = isnan(z[j]) || isnan(max) ? NAN : fmax(max, z[j]);
  for (int j = 0; j < classes; j++) sum += p[j] = exp(z[j] - max);
  for (int j = 0; j < classes; j++) p[j] /= sum;
  *lse = max + log(sum);
}

static void test_softmax(ax_pool *pool) {
  const int shapes[][2] = {{5, 7}, {3, 1000}, {9, 1}, {300, 13}};
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    const int n = shapes[s][0], C = shapes[s][1];
    const int64_t len = (int64_t)n * C;
    float *z = rand_buf(len, -30, 30), *y = nan_buf(len), *labels = malloc((size_t)n * sizeof(float));
    z[0] = 100; /* a large logit: without the max subtraction exp would overflow */
    for (int r = 0; r < n; r++) labels[r] = (float)(int)(rnd() * C);
    double *wy = dbuf(len), *wl = dbuf(n), *wd = dbuf(len), lse;
    const double gs = 1.0 / n;
    for (int r = 0; r < n; r++) {
      softmax_ref(z + (int64_t)r * C, C, wy + (int64_t)r * C, &lse);
      const int lab = (int)labels[r];
      wl[r] = lse - z[(int64_t)r * C + lab];
      for (int j = 0; j < C; j++) wd[(int64_t)r * C + j] = (wy[(int64_t)r * C + j] - (j == lab)) * gs;
    }
    ax_softmax(pool, z, y, n, C);
    CHECK(rel_l2(y, wy, len) <= TOL, "softmax shape %zu rel %g", s, rel_l2(y, wy, len));
    float *loss = nan_buf(n), *dl = nan_buf(len);
    const int bad = ax_softmax_xent(pool, z, labels, loss, dl, n, C, gs);
    CHECK(bad == -1, "softmax_xent shape %zu returned %d", s, bad);
    CHECK(rel_l2(loss, wl, n) <= TOL, "softmax_xent shape %zu loss rel %g", s, rel_l2(loss, wl, n));
    CHECK(rel_l2(dl, wd, len) <= TOL, "softmax_xent shape %zu dlogits rel %g", s, rel_l2(dl, wd, len));
    free(z), free(y), free(labels), free(wy), free(wl), free(wd), free(loss), free(dl);
  }
  /* NaN in a row makes that row NaN, as Math.max does. */
  float z[6] = {1, NAN, 2, 3, 4, 5}, y[6];
  ax_softmax(pool, z, y, 2, 3);
  CHECK(isnan(y[0]) && isnan(y[2]) && !isnan(y[3]), "softmax NaN row");

  /* Bad labels: the first offender's index comes back and nothing is written. */
  const float bads[] = {1.5f, -1.0f, 4.0f, NAN, INFINITY, 1e10f};
  for (size_t b = 0; b < sizeof bads / sizeof bads[0]; b++) {
    float logits[5 * 4] = {0}, labels[5] = {0, 3, 2, bads[b], bads[b]}, loss[5] = {7, 7, 7, 7, 7}, dl[20];
    for (int i = 0; i < 20; i++) dl[i] = 7;
    const int r = ax_softmax_xent(pool, logits, labels, loss, dl, 5, 4, 1.0);
    int untouched = 1;
    for (int i = 0; i < 5; i++) untouched &= loss[i] == 7;
    for (int i = 0; i < 20; i++) untouched &= dl[i] == 7;
    CHECK(r == 3 && untouched, "bad label %g: returned %d, untouched %d", (double)bads[b], r, untouched);
  }
}

static void test_channels(ax_pool *pool) {
  const int cases[][5] = {{3, 7, 2, 3, 11}, {2, 10, 0, 10, 5}, {4, 9000, 100, 4000, 1}, {5, 6, 5, 1, 13}, {5, 7010, 4, 7001, 1}};
  for (size_t s = 0; s < sizeof cases / sizeof cases[0]; s++) {
    const int n = cases[s][0], total = cases[s][1], c0 = cases[s][2], pc = cases[s][3], sp = cases[s][4];
    const int64_t lw = (int64_t)n * total * sp, lp = (int64_t)n * pc * sp;
    float *whole = rand_buf(lw, -1, 1), *part = nan_buf(lp);
    double *wp = dbuf(lp);
    for (int i = 0; i < n; i++)
      for (int c = 0; c < pc; c++)
        for (int k = 0; k < sp; k++)
          wp[((int64_t)i * pc + c) * sp + k] = whole[((int64_t)i * total + c0 + c) * sp + k];
    ax_channels_to_part(pool, whole, part, n, total, c0, pc, sp);
    CHECK(first_mismatch(part, wp, lp) < 0, "channels_to_part case %zu mismatch", s);
    float *w2 = rand_buf(lw, -1, 1), *src = rand_buf(lp, -1, 1);
    double *ww = dbuf(lw);
    for (int64_t i = 0; i < lw; i++) ww[i] = w2[i];
    for (int i = 0; i < n; i++)
      for (int c = 0; c < pc; c++)
        for (int k = 0; k < sp; k++)
          ww[((int64_t)i * total + c0 + c) * sp + k] = src[((int64_t)i * pc + c) * sp + k];
    ax_channels_from_part(pool, src, w2, n, total, c0, pc, sp);
    CHECK(first_mismatch(w2, ww, lw) < 0, "channels_from_part case %zu mismatch", s);
    free(whole), free(part), free(wp), free(w2), free(src), free(ww);
  }
}

int main(void) {
  test_philox();
  const int threads[2] = {1, 3};
  for (int t = 0; t < 2; t++) {
    ax_pool *pool = ax_pool_create(threads[t], -1);
    test_relu(pool);
    test_tanh(pool);
    test_dropout(pool);
    test_sgd_axpy(pool);
    test_maxpool(pool);
    test_lrn(pool);
    test_bias(pool);
    test_softmax(pool);
    test_channels(pool);
    ax_pool_destroy(pool);
  }
  printf("ops_test: %d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}
