/*
 * Convolutions as im2col + GEMM, per group and per chunk of images: the patch matrix
 * col[K × nb·P] (K = cg·kh·kw taps, P = outH·outW pixels, nb images side by side) turns every pass
 * into one matrix product —
 *   forward          out_g = W_g · col                 (og × K)·(K × nb·P), then scattered to NCHW
 *   backward-data    col   = W_gᵀ · dy_g, then col2im  (scatter-add back to pixels)
 *   backward-filter  dW_g += dy_g · colᵀ               (og × nb·P)·(nb·P × K)
 * Chunking images (nb > 1) matters for the 13×13 layers: one image gives P = 169 columns, too few
 * to split over threads or to amortise packing W; nb images give nb·169. How the threads share the
 * work — over the batch's images, or over each step — is chosen per call (split_by_images below).
 *
 * Split over images, the passes skip the patch matrix (gemm_packed.c): W is packed once per call for
 * all threads, and each image's patches are gathered straight into the GEMM's B panels (forward: B =
 * patches; filter gradient: B = patchesᵀ) or dy's rows packed in place (data gradient), so neither the
 * K × P matrix nor the reordered copies are written. Measured at batch 32 on 2 threads (AVX2, old and
 * new alternating): forward conv2–5 1.35–1.65×, filter gradient 1.26–1.37×, data gradient 1.27–1.44×.
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

/* The output columns [lo, hi) whose input column ix = ox·stride − pad + kx lies inside [0, w): the
   rest read padding. Hoisting this out of the pixel loops leaves branch-free copies (stride 1: memcpy). */
static inline void valid_columns(const geom_t *g, int kx, int *lo, int *hi) {
  int l = g->pad - kx > 0 ? (g->pad - kx + g->stride - 1) / g->stride : 0;
  int h = (g->w - 1 + g->pad - kx) / g->stride + 1; /* floor for the non-negative numerator */
  if (g->w - 1 + g->pad - kx < 0) h = 0;
  if (h > g->outW) h = g->outW;
  if (l > h) l = h;
  *lo = l, *hi = h;
}

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
          int lo, hi;
          valid_columns(g, kx, &lo, &hi);
          for (int oy = 0; oy < g->outH; oy++) {
            int iy = oy * g->stride - g->pad + ky;
            float *out = row + (int64_t)oy * g->outW;
            if (iy < 0 || iy >= g->h) {
              memset(out, 0, sizeof(float) * g->outW);
              continue;
            }
            const float *in = plane + (int64_t)iy * g->w;
            const int shift = kx - g->pad; /* column ix = ox·stride + shift */
            for (int ox = 0; ox < lo; ox++) out[ox] = 0.0f;
            if (g->stride == 1)
              memcpy(out + lo, in + lo + shift, sizeof(float) * (size_t)(hi - lo));
            else
              for (int ox = lo; ox < hi; ox++) out[ox] = in[ox * g->stride + shift];
            for (int ox = hi; ox < g->outW; ox++) out[ox] = 0.0f;
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
          int lo, hi;
          valid_columns(g, kx, &lo, &hi);
          for (int oy = 0; oy < g->outH; oy++) {
            int iy = oy * g->stride - g->pad + ky;
            if (iy < 0 || iy >= g->h) continue;
            float *out = plane + (int64_t)iy * g->w;
            const float *in = row + (int64_t)oy * g->outW;
            const int shift = kx - g->pad; /* column ix = ox·stride + shift */
            if (g->stride == 1) {
              float *o = out + lo + shift;
              const float *i = in + lo;
              for (int k = 0; k < hi - lo; k++) o[k] += i[k];
            } else {
              for (int ox = lo; ox < hi; ox++) out[ox * g->stride + shift] += in[ox];
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

static plan_t plan(ax_exec e, int c, int h, int wd, int outC, int kh, int kw, int stride, int pad, int groups,
                   int n) {
  plan_t p = {.g = geometry(c, h, wd, kh, kw, stride, pad, groups), .og = outC / groups};
  p.K = (int64_t)p.g.cg * kh * kw;
  p.P = (int64_t)p.g.outH * p.g.outW;
  p.xs = (int64_t)c * h * wd;
  p.ys = (int64_t)outC * p.P;
  p.nb_max = chunk_images(p.P, n);
  p.col = ax_exec_scratch(e, AX_SLOT_CONV, sizeof(float) * p.K * p.P * p.nb_max);
  p.packed = p.nb_max > 1 ? ax_exec_scratch(e, AX_SLOT_CONV_OUT, sizeof(float) * p.og * p.P * p.nb_max) : NULL;
  return p;
}

static void im2col(ax_exec e, const geom_t *g, const float *x, int64_t image_stride, int nb, float *col) {
  im2col_t t = {g, x, image_stride, nb, col};
  ax_exec_for(e, g->cg, 1, im2col_task, &t);
}

static void reorder(ax_exec e, float *packed, float *nchw, int64_t image_stride, int64_t P, int nb, int rows,
                    int to_nchw) {
  reorder_t t = {packed, nchw, image_stride, P, nb, to_nchw};
  ax_exec_for(e, rows, 4, reorder_task, &t);
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

/*
 * Two ways to use the threads. 'gemm': images go one chunk after another and each step (im2col, GEMM,
 * col2im) is a parallel loop of the pool — the only way when a batch has fewer images than threads.
 * 'images': each thread takes a contiguous share of the batch and runs the same steps serially on its
 * own scratch — one parallel loop per call instead of several per chunk, no barrier in between, and
 * each thread's data stays in its own cache. For the small layers of the CIFAR-10 net the loops of
 * 'gemm' are 20–100 µs each, so their barriers cost as much as the work.
 * The pool's conv-split setting (ax_pool_set_conv_split) can force one, for benchmarks; by default
 * 'images' runs whenever the batch splits evenly over the threads or has ≥ 4 images per thread.
 * The forward pass has a third way, its default otherwise: each image cut into ranges of output
 * pixels, one per thread, on the packed-filter path (forward_task); 'gemm' forced keeps the old path.
 */
static int split_by_images(ax_pool *pool, int n) {
  const int threads = ax_pool_threads(pool);
  if (threads < 2 || n < threads) return 0;
  switch (ax_pool_conv_split(pool)) {
    case AX_CONV_SPLIT_GEMM:
      return 0;
    case AX_CONV_SPLIT_IMAGES:
      return 1;
    default:
      return n % threads == 0 || n >= 4 * threads;
  }
}

/** What a pass over images [i0, i1) needs; the three passes' image tasks read it. */
typedef struct {
  ax_pool *pool;
  int c, h, wd, outC, kh, kw, stride, pad, groups, n;
  const float *x, *w, *dy, *bias;
  float *y, *dx, *dw;
  const float *packed_w;   /* forward split over images: every group's filters, packed (ax_pack_a_all) */
  int64_t packed_w_group;  /* floats per group in packed_w */
  int slices;              /* forward: work items per image (ranges of output pixels) */
  float **partials; /* backward-filter, split over images: each thread's dW (NULL: the thread had no images) */
} pass_t;

static void forward_images(ax_exec e, const pass_t *a, int i0, int i1) {
  const plan_t p = plan(e, a->c, a->h, a->wd, a->outC, a->kh, a->kw, a->stride, a->pad, a->groups, i1 - i0);
  const geom_t g = p.g;
  const int og = p.og, nb_max = p.nb_max;
  const int64_t K = p.K, P = p.P, xs = p.xs, ys = p.ys;
  for (int i = i0; i < i1; i += nb_max) {
    const int nb = i1 - i < nb_max ? i1 - i : nb_max;
    for (int gi = 0; gi < a->groups; gi++) {
      im2col(e, &g, a->x + i * xs + (int64_t)gi * g.cg * a->h * a->wd, xs, nb, p.col);
      const float *w = a->w + (int64_t)gi * og * K;
      float *dst = a->y + i * ys + (int64_t)gi * og * P;
      if (nb == 1) { /* one image: the GEMM writes the NCHW rows directly */
        ax_sgemm_exec(e, 0, 0, og, (int)P, (int)K, 1.0, w, (int)K, p.col, (int)P, 0.0, dst, (int)P);
      } else {
        ax_sgemm_exec(e, 0, 0, og, (int)(nb * P), (int)K, 1.0, w, (int)K, p.col, (int)(nb * P), 0.0, p.packed,
                      (int)(nb * P));
        reorder(e, p.packed, dst, ys, P, nb, og, 1);
      }
    }
  }
}

static void backward_data_images(ax_exec e, const pass_t *a, int i0, int i1) {
  const plan_t p = plan(e, a->c, a->h, a->wd, a->outC, a->kh, a->kw, a->stride, a->pad, a->groups, i1 - i0);
  const geom_t g = p.g;
  const int og = p.og, nb_max = p.nb_max;
  const int64_t K = p.K, P = p.P, xs = p.xs, ys = p.ys;
  for (int i = i0; i < i1; i += nb_max) {
    const int nb = i1 - i < nb_max ? i1 - i : nb_max;
    for (int gi = 0; gi < a->groups; gi++) {
      const float *src = a->dy + i * ys + (int64_t)gi * og * P;
      if (nb > 1) {
        reorder(e, p.packed, (float *)src, ys, P, nb, og, 0);
        src = p.packed;
      }
      ax_sgemm_exec(e, 1, 0, (int)K, (int)(nb * P), og, 1.0, a->w + (int64_t)gi * og * K, (int)K, src, (int)(nb * P),
                    0.0, p.col, (int)(nb * P));
      col2im_t t = {&g, p.col, a->dx + i * xs + (int64_t)gi * g.cg * a->h * a->wd, xs, nb};
      ax_exec_for(e, g.cg, 1, col2im_task, &t);
    }
  }
}

/** dw = (first ? 0 : dw) + Σ over images [i0, i1) of the filter gradient. */
static void backward_filter_images(ax_exec e, const pass_t *a, int i0, int i1, float *dw, int first) {
  const plan_t p = plan(e, a->c, a->h, a->wd, a->outC, a->kh, a->kw, a->stride, a->pad, a->groups, i1 - i0);
  const geom_t g = p.g;
  const int og = p.og, nb_max = p.nb_max;
  const int64_t K = p.K, P = p.P, xs = p.xs, ys = p.ys;
  for (int i = i0; i < i1; i += nb_max) {
    const int nb = i1 - i < nb_max ? i1 - i : nb_max;
    for (int gi = 0; gi < a->groups; gi++) {
      im2col(e, &g, a->x + i * xs + (int64_t)gi * g.cg * a->h * a->wd, xs, nb, p.col);
      const float *src = a->dy + i * ys + (int64_t)gi * og * P;
      if (nb > 1) {
        reorder(e, p.packed, (float *)src, ys, P, nb, og, 0);
        src = p.packed;
      }
      double beta = (i == i0 && first) ? 0.0 : 1.0;
      ax_sgemm_exec(e, 0, 1, og, (int)K, (int)(nb * P), 1.0, src, (int)(nb * P), p.col, (int)(nb * P), beta,
                    dw + (int64_t)gi * og * K, (int)K);
    }
  }
}

/* Implicit im2col: the patches of one image and group, gathered straight into GEMM panels. */
typedef struct {
  const geom_t *g;
  const float *x; /* the image's first channel of the group */
  float *row;     /* scratch: one patch row (nc rounded up to NR floats), or NR rows of kc */
  int NR;
  int64_t q0; /* the GEMM's column 0 is output pixel q0 */
} patches_t;

/* out[q − q0] = row k of the patch matrix at output pixels q ∈ [q0, q1), zero where it reads padding. */
static void patch_row(const geom_t *g, const float *x, int64_t k, int64_t q0, int64_t q1, float *out) {
  const int kx = (int)(k % g->kw), ky = (int)(k / g->kw % g->kh);
  const float *plane = x + k / ((int64_t)g->kw * g->kh) * g->h * g->w;
  const int shift = kx - g->pad; /* column ix = ox·stride + shift */
  int lo, hi;
  valid_columns(g, kx, &lo, &hi);
  for (int64_t q = q0; q < q1;) {
    const int oy = (int)(q / g->outW), ox0 = (int)(q % g->outW);
    const int ox1 = q1 - q < g->outW - ox0 ? ox0 + (int)(q1 - q) : g->outW;
    float *o = out + (q - q0) - ox0; /* o[ox] for this output row */
    const int iy = oy * g->stride - g->pad + ky;
    if (iy < 0 || iy >= g->h) {
      memset(o + ox0, 0, sizeof(float) * (size_t)(ox1 - ox0));
    } else {
      const float *in = plane + (int64_t)iy * g->w;
      const int a = lo < ox0 ? ox0 : lo > ox1 ? ox1 : lo;
      const int b = hi < a ? a : hi > ox1 ? ox1 : hi;
      for (int ox = ox0; ox < a; ox++) o[ox] = 0.0f;
      if (g->stride == 1)
        memcpy(o + a, in + a + shift, sizeof(float) * (size_t)(b - a));
      else
        for (int ox = a; ox < b; ox++) o[ox] = in[ox * g->stride + shift];
      for (int ox = b; ox < ox1; ox++) o[ox] = 0.0f;
    }
    q += ox1 - ox0;
  }
}

/* ax_pack_b_fn: rows [pc, pc+kc) × columns [j0, j0+nc) of the patch matrix as NR-wide panels. */
static void pack_patches(void *ctx, int64_t pc, int64_t kc, int64_t j0, int64_t nc, float *Bp, int64_t stride) {
  const patches_t *t = ctx;
  const int NR = t->NR;
  const int64_t panels = (nc + NR - 1) / NR;
  for (int64_t q = nc; q < panels * NR; q++) t->row[q] = 0.0f; /* the last panel's padding */
  for (int64_t p = 0; p < kc; p++) {
    patch_row(t->g, t->x, pc + p, t->q0 + j0, t->q0 + j0 + nc, t->row);
    float *dst = Bp + p * NR;
    if (NR == 16) /* a constant size: the copy is two vector moves */
      for (int64_t jr = 0; jr < panels; jr++) memcpy(dst + jr * stride, t->row + jr * 16, sizeof(float) * 16);
    else
      for (int64_t jr = 0; jr < panels; jr++) memcpy(dst + jr * stride, t->row + jr * NR, sizeof(float) * NR);
  }
}

/*
 * Forward over work items [begin, end) on one thread — item = image · slices + slice, a slice being
 * a range of the image's output pixels (NR-aligned) — with the filters packed once for all threads
 * (a->packed_w) and the patches gathered straight into GEMM panels: no patch matrix, no reorder of
 * the output (the GEMM writes the image's NCHW rows), and the bias is where the output starts.
 */
static void forward_task(void *ctx, int64_t begin, int64_t end, int thread) {
  const pass_t *a = ctx;
  const ax_exec e = ax_on_thread(a->pool, thread);
  const geom_t g = geometry(a->c, a->h, a->wd, a->kh, a->kw, a->stride, a->pad, a->groups);
  const int og = a->outC / a->groups, NR = ax_simd()->nr;
  const int64_t K = (int64_t)g.cg * a->kh * a->kw, P = (int64_t)g.outH * g.outW;
  const int64_t xs = (int64_t)a->c * a->h * a->wd, ys = (int64_t)a->outC * P;
  const int64_t per_slice = ((P + NR - 1) / NR + a->slices - 1) / a->slices * NR;
  float *row = ax_exec_scratch(e, AX_SLOT_CONV, sizeof(float) * (size_t)(P + NR));
  for (int64_t item = begin; item < end; item++) {
    const int64_t i = item / a->slices, q0 = item % a->slices * per_slice;
    const int64_t q1 = q0 + per_slice < P ? q0 + per_slice : P;
    if (q0 >= q1) continue; /* more slices than panels */
    for (int gi = 0; gi < a->groups; gi++) {
      float *dst = a->y + i * ys + (int64_t)gi * og * P;
      for (int r = 0; r < og; r++) {
        const float b = a->bias ? a->bias[gi * og + r] : 0.0f;
        for (int64_t q = q0; q < q1; q++) dst[r * P + q] = b;
      }
      patches_t t = {&g, a->x + i * xs + (int64_t)gi * g.cg * a->h * a->wd, row, NR, q0};
      ax_sgemm_packed(e, a->packed_w + gi * a->packed_w_group, og, (int)(q1 - q0), (int)K, pack_patches, &t, dst + q0,
                      (int)P);
    }
  }
}

typedef struct {
  const float *B; /* row-major, ldb */
  int64_t ldb;
  int NR;
} rows_t;

/* ax_pack_b_fn for a plain row-major B: NR-wide slices of rows [pc, pc+kc), zero past nc. */
static void pack_rows(void *ctx, int64_t pc, int64_t kc, int64_t j0, int64_t nc, float *Bp, int64_t stride) {
  const rows_t *t = ctx;
  const int NR = t->NR;
  for (int64_t jr = 0; jr * NR < nc; jr++) {
    float *panel = Bp + jr * stride;
    const int64_t width = nc - jr * NR < NR ? nc - jr * NR : NR;
    const float *src = t->B + pc * t->ldb + j0 + jr * NR;
    for (int64_t p = 0; p < kc; p++, src += t->ldb, panel += NR) {
      memcpy(panel, src, sizeof(float) * (size_t)width);
      for (int64_t j = width; j < NR; j++) panel[j] = 0.0f;
    }
  }
}

/*
 * Data gradient of images [begin, end) on one thread: per image and group, patches = W_gᵀ · dy_g with
 * W_gᵀ packed once for all threads (a->packed_w) and dy_g's rows packed in place of a reordered copy,
 * then scattered back onto the image's pixels (col2im).
 */
static void backward_data_task(void *ctx, int64_t begin, int64_t end, int thread) {
  const pass_t *a = ctx;
  const ax_exec e = ax_on_thread(a->pool, thread);
  const geom_t g = geometry(a->c, a->h, a->wd, a->kh, a->kw, a->stride, a->pad, a->groups);
  const int og = a->outC / a->groups, NR = ax_simd()->nr;
  const int64_t K = (int64_t)g.cg * a->kh * a->kw, P = (int64_t)g.outH * g.outW;
  const int64_t xs = (int64_t)a->c * a->h * a->wd, ys = (int64_t)a->outC * P;
  float *col = ax_exec_scratch(e, AX_SLOT_CONV, sizeof(float) * (size_t)(K * P));
  for (int64_t i = begin; i < end; i++)
    for (int gi = 0; gi < a->groups; gi++) {
      memset(col, 0, sizeof(float) * (size_t)(K * P));
      rows_t t = {a->dy + i * ys + (int64_t)gi * og * P, P, NR};
      ax_sgemm_packed(e, a->packed_w + gi * a->packed_w_group, (int)K, (int)P, og, pack_rows, &t, col, (int)P);
      col2im_t c2 = {&g, col, a->dx + i * xs + (int64_t)gi * g.cg * a->h * a->wd, xs, 1};
      col2im_task(&c2, 0, g.cg, thread);
    }
}

/* ax_pack_b_fn for the filter gradient: B = the patch matrix transposed — rows [pc, pc+kc) are output
   pixels, columns [j0, j0+nc) taps. Each tap's pixels are gathered once into the row buffer, then
   stored down the tap's column of its panel (the panel, NR·kc floats, stays in L1). */
static void pack_patches_transposed(void *ctx, int64_t pc, int64_t kc, int64_t j0, int64_t nc, float *Bp,
                                    int64_t stride) {
  const patches_t *t = ctx;
  const int NR = t->NR;
  const ax_pack_bt_fn transpose = ax_simd()->pack_bt;
  for (int64_t jr = 0; jr * NR < nc; jr++) {
    float *panel = Bp + jr * stride;
    const int64_t width = nc - jr * NR < NR ? nc - jr * NR : NR;
    if (transpose) { /* the panel's taps as rows (width × kc), then one vector transpose */
      for (int64_t tap = 0; tap < width; tap++) patch_row(t->g, t->x, j0 + jr * NR + tap, pc, pc + kc, t->row + tap * kc);
      transpose(kc, t->row, kc, width, NR, panel);
      continue;
    }
    for (int64_t tap = 0; tap < NR; tap++) {
      if (tap < width) {
        patch_row(t->g, t->x, j0 + jr * NR + tap, pc, pc + kc, t->row);
        for (int64_t p = 0; p < kc; p++) panel[p * NR + tap] = t->row[p];
      } else {
        for (int64_t p = 0; p < kc; p++) panel[p * NR + tap] = 0.0f;
      }
    }
  }
}

/*
 * Filter gradient of images [begin, end) on one thread, into the thread's own partial sum (reduced
 * after the loop): per image and group, dW_g += dy_g · patchesᵀ with dy_g (og × P, the image's own
 * rows) packed as A and the patches gathered straight into B's panels — no patch matrix, no reorder.
 */
static void backward_filter_task(void *ctx, int64_t begin, int64_t end, int thread) {
  const pass_t *a = ctx;
  const ax_exec e = ax_on_thread(a->pool, thread);
  const geom_t g = geometry(a->c, a->h, a->wd, a->kh, a->kw, a->stride, a->pad, a->groups);
  const int og = a->outC / a->groups, NR = ax_simd()->nr;
  const int64_t K = (int64_t)g.cg * a->kh * a->kw, P = (int64_t)g.outH * g.outW;
  const int64_t xs = (int64_t)a->c * a->h * a->wd, ys = (int64_t)a->outC * P;
  float *dw = ax_scratch(a->pool, thread, AX_SLOT_CONV_DW, sizeof(float) * (size_t)(a->outC * K));
  /* one patch row, or a panel's NR taps × one KC slice of pixels (pack_patches_transposed) */
  const int64_t rows = P + NR > (int64_t)NR * AX_GEMM_KC ? P + NR : (int64_t)NR * AX_GEMM_KC;
  float *row = ax_exec_scratch(e, AX_SLOT_CONV, sizeof(float) * (size_t)rows);
  float *packed_dy = ax_exec_scratch(e, AX_SLOT_PACK_A, sizeof(float) * (size_t)ax_packed_a_floats(og, (int)P));
  memset(dw, 0, sizeof(float) * (size_t)(a->outC * K));
  for (int64_t i = begin; i < end; i++)
    for (int gi = 0; gi < a->groups; gi++) {
      ax_pack_a_all(e, 0, a->dy + i * ys + (int64_t)gi * og * P, (int)P, og, (int)P, packed_dy);
      patches_t t = {&g, a->x + i * xs + (int64_t)gi * g.cg * a->h * a->wd, row, NR, 0};
      ax_sgemm_packed(e, packed_dy, og, (int)K, (int)P, pack_patches_transposed, &t, dw + (int64_t)gi * og * K,
                      (int)K);
    }
  a->partials[thread] = dw;
}

typedef struct {
  float *dw;
  float *const *partials;
  int threads, accumulate;
} reduce_t;

/* dw = (accumulate ? dw : 0) + Σ_t partial_t, threads in a fixed order: deterministic for a given count. */
static void reduce_task(void *ctx, int64_t begin, int64_t end, int thread) {
  (void)thread;
  const reduce_t *r = ctx;
  for (int64_t i = begin; i < end; i++) {
    float sum = r->accumulate ? r->dw[i] : 0.0f;
    for (int t = 0; t < r->threads; t++)
      if (r->partials[t]) sum += r->partials[t][i];
    r->dw[i] = sum;
  }
}

static pass_t pass_args(ax_pool *pool, int n, int c, int h, int wd, int outC, int kh, int kw, int stride, int pad,
                        int groups) {
  pass_t a = {.pool = pool, .c = c, .h = h, .wd = wd, .outC = outC, .kh = kh, .kw = kw, .stride = stride,
              .pad = pad, .groups = groups, .n = n};
  return a;
}

void ax_conv2d_forward(ax_pool *pool, const float *x, const float *w, const float *bias, float *y, int n, int c,
                       int h, int wd, int outC, int kh, int kw, int stride, int pad, int groups) {
  pass_t a = pass_args(pool, n, c, h, wd, outC, kh, kw, stride, pad, groups);
  a.x = x, a.w = w, a.y = y, a.bias = bias;
  /* Whole images per thread when the batch splits over them (split_by_images), else each image cut
     into one range of output pixels per thread; the old im2col path only when 'gemm' is forced. */
  a.slices = split_by_images(pool, n) ? 1 : ax_pool_threads(pool);
  if (ax_pool_conv_split(pool) != AX_CONV_SPLIT_GEMM) {
    const int og = outC / groups, K = c / groups * kh * kw;
    a.packed_w_group = ax_packed_a_floats(og, K);
    float *packed = ax_scratch(pool, 0, AX_SLOT_CONV_W, sizeof(float) * (size_t)(a.packed_w_group * groups));
    for (int gi = 0; gi < groups; gi++)
      ax_pack_a_all(ax_on_pool(pool), 0, w + (int64_t)gi * og * K, K, og, K, packed + gi * a.packed_w_group);
    a.packed_w = packed;
    ax_parallel_for(pool, (int64_t)n * a.slices, 1, forward_task, &a);
    return; /* the bias is already in */
  }
  forward_images(ax_on_pool(pool), &a, 0, n);
  if (bias) {
    const int64_t P = (int64_t)((h + 2 * pad - kh) / stride + 1) * ((wd + 2 * pad - kw) / stride + 1);
    bias_t t = {y, bias, P, outC};
    ax_parallel_for(pool, (int64_t)n * outC, 8, add_bias_task, &t);
  }
}

void ax_conv2d_backward_data(ax_pool *pool, const float *dy, const float *w, float *dx, int n, int c, int h,
                             int wd, int outC, int kh, int kw, int stride, int pad, int groups, int accumulate) {
  pass_t a = pass_args(pool, n, c, h, wd, outC, kh, kw, stride, pad, groups);
  a.dy = dy, a.w = w, a.dx = dx;
  if (!accumulate) memset(dx, 0, sizeof(float) * (size_t)n * c * h * wd);
  if (split_by_images(pool, n)) {
    const int og = outC / groups, K = c / groups * kh * kw;
    a.packed_w_group = ax_packed_a_floats(K, og);
    float *packed = ax_scratch(pool, 0, AX_SLOT_CONV_W, sizeof(float) * (size_t)(a.packed_w_group * groups));
    for (int gi = 0; gi < groups; gi++) /* W_gᵀ: K × og */
      ax_pack_a_all(ax_on_pool(pool), 1, w + (int64_t)gi * og * K, K, K, og, packed + gi * a.packed_w_group);
    a.packed_w = packed;
    ax_parallel_for(pool, n, 1, backward_data_task, &a);
  } else
    backward_data_images(ax_on_pool(pool), &a, 0, n);
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
  pass_t a = pass_args(pool, n, c, h, wd, outC, kh, kw, stride, pad, groups);
  a.x = x, a.dy = dy;
  if (split_by_images(pool, n)) {
    const int threads = ax_pool_threads(pool);
    float *partials[threads]; /* threads ≤ cores: small */
    for (int t = 0; t < threads; t++) partials[t] = NULL;
    a.partials = partials;
    ax_parallel_for(pool, n, 1, backward_filter_task, &a);
    reduce_t r = {dw, partials, threads, accumulate};
    ax_parallel_for(pool, (int64_t)outC * (c / groups) * kh * kw, 4096, reduce_task, &r);
  } else {
    backward_filter_images(ax_on_pool(pool), &a, 0, n, dw, !accumulate);
  }
  if (dbias) {
    const int64_t P = (int64_t)((h + 2 * pad - kh) / stride + 1) * ((wd + 2 * pad - kw) / stride + 1);
    dbias_t t = {dy, dbias, n, outC, P, accumulate};
    ax_parallel_for(pool, outC, 4, dbias_task, &t);
  }
}
