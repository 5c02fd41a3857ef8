/*
 * SGEMM in the BLIS/GotoBLAS shape: C is cut into NC-wide column blocks, K into KC-deep slices; per
 * slice a KC×NC block of B is packed into NR-wide panels (shared, packed in parallel) and each
 * MC×KC block of A into MR-tall panels (per thread), and a register-tiled micro-kernel
 * (ukernel_*.c) runs over MR×NR tiles. Packing makes every transpose case one kernel and keeps the
 * micro-kernel's loads contiguous; block sizes keep the A block in L2 and a B panel in L1.
 */
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "pool.h"

enum { KC = AX_GEMM_KC, MC_TILES = 12, NC = 3072 };

static const ax_simd_t *simd;

static const ax_simd_t *detect(void) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return &ax_simd_avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &ax_simd_avx2;
#endif
  return &ax_simd_generic;
}

const ax_simd_t *ax_simd(void) {
  if (!simd) simd = detect();
  return simd;
}

const char *ax_simd_path(void) { return ax_simd()->name; }

int ax_force_simd_path(const char *name) {
  const ax_simd_t *best = detect();
  const ax_simd_t *want = NULL;
  if (!strcmp(name, "generic")) want = &ax_simd_generic;
#if defined(__x86_64__)
  if (!strcmp(name, "avx2")) want = (best == &ax_simd_generic) ? NULL : &ax_simd_avx2;
  if (!strcmp(name, "avx512")) want = (best == &ax_simd_avx512) ? &ax_simd_avx512 : NULL;
#endif
  if (!want) return 0;
  simd = want;
  return 1;
}

int ax_abi_version(void) { return 1; }

typedef struct {
  const ax_simd_t *s;
  int transA, transB;
  int64_t M, N, K, lda, ldb, ldc;
  const float *A, *B;
  float *C;
  float alpha;
  /* current block */
  int64_t jc, nc, pc, kc, mc_block;
  float *Bp;
  ax_pool *pool;
  int a_in_place; /* rows_task reads full MR-row panels of A in place instead of packing them */
} gemm_t;

/* op(A)[i][p] and op(B)[p][j] */
static inline float a_at(const gemm_t *g, int64_t i, int64_t p) {
  return g->transA ? g->A[p * g->lda + i] : g->A[i * g->lda + p];
}

void ax_pack_a_panel(const ax_simd_t *s, int transA, const float *A, int64_t lda, int64_t row, int64_t height,
                     int64_t pc, int64_t kc, float *Ap) {
  const int MR = s->mr;
  if (!transA && s->pack_a) {
    s->pack_a(kc, A + row * lda + pc, lda, height, Ap);
    return;
  }
  for (int64_t p = 0; p < kc; p++, Ap += MR) {
    int64_t i = 0;
    if (transA) /* op(A) column p is a contiguous run of A's row pc + p */
      for (const float *src = A + (pc + p) * lda + row; i < height; i++) Ap[i] = src[i];
    else
      for (; i < height; i++) Ap[i] = A[(row + i) * lda + pc + p];
    for (; i < MR; i++) Ap[i] = 0.0f;
  }
}

/** Packs rows [i0, i0+mc) × k-slice of op(A) into MR-tall panels, zero-padding the last panel. */
static void pack_a(const gemm_t *g, int64_t i0, int64_t mc, float *Ap) {
  const int MR = g->s->mr;
  for (int64_t ir = 0; ir < mc; ir += MR, Ap += MR * g->kc) {
    const int64_t height = mc - ir < MR ? mc - ir : MR;
    ax_pack_a_panel(g->s, g->transA, g->A, g->lda, i0 + ir, height, g->pc, g->kc, Ap);
  }
}

/** Packs NR-wide panels [panel_begin, panel_end) of the current KC×NC block of op(B). */
static void pack_b_panels(void *ctx, int64_t begin, int64_t end, int thread) {
  (void)thread;
  const gemm_t *g = ctx;
  const int NR = g->s->nr;
  for (int64_t jr = begin; jr < end; jr++) {
    float *Bp = g->Bp + jr * NR * g->kc;
    int64_t j0 = g->jc + jr * NR;
    int64_t width = g->nc - jr * NR < NR ? g->nc - jr * NR : NR;
    if (g->transB && g->s->pack_bt) {
      g->s->pack_bt(g->kc, g->B + j0 * g->ldb + g->pc, g->ldb, width, NR, Bp);
      continue;
    }
    if (g->transB) {
      /* op(B)[k][j] = B[j][k]: read each of the panel's columns as a contiguous row of B. */
      if (width < NR) memset(Bp, 0, sizeof(float) * NR * g->kc);
      for (int64_t j = 0; j < width; j++) {
        const float *src = g->B + (j0 + j) * g->ldb + g->pc;
        for (int64_t p = 0; p < g->kc; p++) Bp[p * NR + j] = src[p];
      }
      continue;
    }
    for (int64_t p = 0; p < g->kc; p++, Bp += NR) {
      const float *src = g->B + (g->pc + p) * g->ldb + j0;
      if (width == NR) {
        memcpy(Bp, src, sizeof(float) * NR); /* the common, contiguous case */
      } else {
        for (int j = 0; j < NR; j++) Bp[j] = j < width ? src[j] : 0.0f;
      }
    }
  }
}

/** Runs the micro-kernel over panels [jr0, jr1) × all MR panels of one packed A block. */
static void macro_kernel(const gemm_t *g, int64_t i0, int64_t mc, const float *Ap, int64_t jr0, int64_t jr1,
                         float *tile) {
  const int MR = g->s->mr, NR = g->s->nr;
  for (int64_t jr = jr0; jr < jr1; jr++) {
    int64_t j0 = g->jc + jr * NR;
    int64_t width = g->nc - jr * NR < NR ? g->nc - jr * NR : NR;
    const float *Bp = g->Bp + jr * NR * g->kc;
    for (int64_t ir = 0; ir < mc; ir += MR) {
      int64_t height = mc - ir < MR ? mc - ir : MR;
      float *C = g->C + (i0 + ir) * g->ldc + j0;
      const float *A = Ap + ir * g->kc;
      if (height == MR && width == NR) {
        g->s->kernel(g->kc, A, Bp, C, g->ldc, g->alpha);
      } else { /* edge tile: compute into a scratch tile, add the valid part */
        memset(tile, 0, sizeof(float) * MR * NR);
        g->s->kernel(g->kc, A, Bp, tile, NR, g->alpha);
        for (int64_t i = 0; i < height; i++)
          for (int64_t j = 0; j < width; j++) C[i * g->ldc + j] += tile[i * NR + j];
      }
    }
  }
}

/** macro_kernel for rows [i0, i0+mc), mc a multiple of MR, reading op(A) = A in place (a_in_place). */
static void macro_kernel_in_place(const gemm_t *g, int64_t i0, int64_t mc, int64_t jr0, int64_t jr1, float *tile) {
  const int MR = g->s->mr, NR = g->s->nr;
  for (int64_t jr = jr0; jr < jr1; jr++) {
    int64_t j0 = g->jc + jr * NR;
    int64_t width = g->nc - jr * NR < NR ? g->nc - jr * NR : NR;
    const float *Bp = g->Bp + jr * NR * g->kc;
    for (int64_t ir = 0; ir < mc; ir += MR) {
      float *C = g->C + (i0 + ir) * g->ldc + j0;
      const float *A = g->A + (i0 + ir) * g->lda + g->pc;
      if (width == NR) {
        g->s->kernel_rows(g->kc, A, g->lda, Bp, C, g->ldc, g->alpha);
      } else {
        memset(tile, 0, sizeof(float) * MR * NR);
        g->s->kernel_rows(g->kc, A, g->lda, Bp, tile, NR, g->alpha);
        for (int64_t i = 0; i < MR; i++)
          for (int64_t j = 0; j < width; j++) C[i * g->ldc + j] += tile[i * NR + j];
      }
    }
  }
}

/* Parallel over MC blocks of rows: each thread packs its own A block and sweeps all B panels. */
static void rows_task(void *ctx, int64_t begin, int64_t end, int thread) {
  const gemm_t *g = ctx;
  const int MR = g->s->mr, NR = g->s->nr;
  float *Ap = ax_scratch(g->pool, thread, AX_SLOT_PACK_A, sizeof(float) * g->mc_block * g->kc);
  float *tile = ax_scratch(g->pool, thread, AX_SLOT_TILE, sizeof(float) * MR * NR);
  int64_t panels = (g->nc + NR - 1) / NR;
  for (int64_t b = begin; b < end; b++) {
    int64_t i0 = b * g->mc_block;
    int64_t mc = g->M - i0 < g->mc_block ? g->M - i0 : g->mc_block;
    int64_t packed_from = 0; /* rows [i0 + packed_from, i0 + mc) go through a packed block */
    if (g->a_in_place) {
      packed_from = mc / MR * MR; /* a last, partial panel is packed: its zero rows make a full tile */
      macro_kernel_in_place(g, i0, packed_from, 0, panels, tile);
    }
    if (packed_from < mc) {
      pack_a(g, i0 + packed_from, mc - packed_from, Ap);
      macro_kernel(g, i0 + packed_from, mc - packed_from, Ap, 0, panels, tile);
    }
  }
}

/* Parallel over B panels (few rows, e.g. a fully connected layer at batch 1): A is packed per thread. */
static void cols_task(void *ctx, int64_t begin, int64_t end, int thread) {
  const gemm_t *g = ctx;
  const int MR = g->s->mr, NR = g->s->nr;
  float *Ap = ax_scratch(g->pool, thread, AX_SLOT_PACK_A, sizeof(float) * g->mc_block * g->kc);
  float *tile = ax_scratch(g->pool, thread, AX_SLOT_TILE, sizeof(float) * MR * NR);
  for (int64_t i0 = 0; i0 < g->M; i0 += g->mc_block) {
    int64_t mc = g->M - i0 < g->mc_block ? g->M - i0 : g->mc_block;
    pack_a(g, i0, mc, Ap);
    macro_kernel(g, i0, mc, Ap, begin, end, tile);
  }
}

typedef struct {
  float *C;
  int64_t N, ldc;
  float beta;
} scale_t;

static void scale_rows(void *ctx, int64_t begin, int64_t end, int thread) {
  (void)thread;
  const scale_t *s = ctx;
  for (int64_t i = begin; i < end; i++) {
    float *row = s->C + i * s->ldc;
    if (s->beta == 0.0f)
      memset(row, 0, sizeof(float) * s->N); /* beta = 0 never reads C (NaN must not leak) */
    else
      for (int64_t j = 0; j < s->N; j++) row[j] *= s->beta;
  }
}

typedef struct {
  const float *T; /* N × M */
  float *C;
  int64_t M, ldc;
} add_t_t;

/* C[i][j] += T[j][i] for columns [begin, end) of C, 16 at a time (a T block of 16 rows stays in L1). */
static void add_transposed_task(void *ctx, int64_t begin, int64_t end, int thread) {
  (void)thread;
  const add_t_t *t = ctx;
  for (int64_t j0 = begin; j0 < end; j0 += 16) {
    int64_t j1 = j0 + 16 < end ? j0 + 16 : end;
    for (int64_t i = 0; i < t->M; i++) {
      float *c = t->C + i * t->ldc;
      for (int64_t j = j0; j < j1; j++) c[j] += t->T[j * t->M + i];
    }
  }
}

/*
 * Few rows against many columns of a transposed B — a fully connected layer's forward x·Wᵀ at batch
 * 5–64: packing B would copy the whole weight matrix (transposed) on every call for a few rows of
 * arithmetic per element. Swapped, Cᵀ = op(B)ᵀ·op(A)ᵀ = W·xᵀ has W as A, read once, in place
 * (a_in_place), and the small xᵀ as B. Measured (2 threads, AVX2, old and new alternating in one
 * process): x·Wᵀ at M = 32, N = 4096, K = 9216 (fc6) 37 → 101 GFLOP/s, M = 64 55 → 99, M = 8 11 → 35.
 * Not for x·W (B untransposed: A' would be a transposed W, measured slower).
 */
enum { SWAP_MAX_M = 64 };

/*
 * Few rows (a fully connected layer at batch 1–4): matrix-vector products are memory-bound, and
 * packing B would read and write all of it once more, so stream B directly, split over columns.
 */
enum { SMALL_M = 4 };

static void small_m_task(void *ctx, int64_t begin, int64_t end, int thread) {
  (void)thread;
  const gemm_t *g = ctx;
  if (g->transB && !g->transA && g->s->dots) { /* every row of B (a column of op(B)) read once */
    float out[SMALL_M];
    for (int64_t j = begin; j < end; j++) {
      g->s->dots((int)g->M, g->A, g->lda, g->B + j * g->ldb, g->K, out);
      for (int64_t i = 0; i < g->M; i++) g->C[i * g->ldc + j] += g->alpha * out[i];
    }
    return;
  }
  for (int64_t i = 0; i < g->M; i++) {
    float *c = g->C + i * g->ldc;
    if (g->transB) { /* C[i][j] += alpha · dot(op(A) row i, B row j): both contiguous when !transA */
      for (int64_t j = begin; j < end; j++) {
        const float *b = g->B + j * g->ldb;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0; /* four partial sums: shorter dependency chains */
        int64_t p = 0;
        if (!g->transA) {
          const float *a = g->A + i * g->lda;
          for (; p + 4 <= g->K; p += 4) {
            s0 += a[p] * b[p], s1 += a[p + 1] * b[p + 1], s2 += a[p + 2] * b[p + 2], s3 += a[p + 3] * b[p + 3];
          }
        }
        for (; p < g->K; p++) s0 += a_at(g, i, p) * b[p];
        c[j] += g->alpha * ((s0 + s1) + (s2 + s3));
      }
    } else { /* C[i][begin:end] += alpha · Σ_p op(A)[i][p] · B[p][begin:end] */
      for (int64_t p = 0; p < g->K; p++) {
        const float a = g->alpha * a_at(g, i, p);
        const float *b = g->B + p * g->ldb;
        for (int64_t j = begin; j < end; j++) c[j] += a * b[j];
      }
    }
  }
}

void ax_sgemm(ax_pool *pool, int transA, int transB, int M, int N, int K, double alpha, const float *A, int lda,
              const float *B, int ldb, double beta, float *C, int ldc) {
  ax_sgemm_exec(ax_on_pool(pool), transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void ax_sgemm_exec(ax_exec e, int transA, int transB, int M, int N, int K, double alpha, const float *A, int lda,
                   const float *B, int ldb, double beta, float *C, int ldc) {
  ax_pool *pool = e.pool;
  if (M <= 0 || N <= 0) return;
  if (beta != 1.0) {
    scale_t s = {C, N, ldc, (float)beta};
    ax_exec_for(e, M, 64, scale_rows, &s);
  }
  if (K <= 0 || alpha == 0.0) return;
  gemm_t g = {.s = ax_simd(), .transA = transA, .transB = transB, .M = M, .N = N, .K = K, .lda = lda, .ldb = ldb,
              .ldc = ldc, .A = A, .B = B, .C = C, .alpha = (float)alpha, .pool = pool};
  if (M <= SMALL_M) {
    ax_exec_for(e, N, 256, small_m_task, &g);
    return;
  }
  if (transB && M <= SWAP_MAX_M && N >= 4 * (int64_t)M) {
    float *T = ax_exec_scratch(e, AX_SLOT_SWAP, sizeof(float) * (size_t)N * M);
    ax_sgemm_exec(e, 0, !transA, N, M, K, alpha, B, ldb, A, lda, 0.0, T, M);
    add_t_t t = {T, C, M, ldc};
    ax_exec_for(e, N, 64, add_transposed_task, &t);
    return;
  }
  const int NR = g.s->nr, MR = g.s->mr;
  const int threads = ax_exec_threads(e);
  /* Row blocks of at most MC_TILES·MR rows, as many as a multiple of the thread count, so every
     thread gets the same number of equally tall blocks (M = 384 on 2 threads: 4 × 96, not 144+144+96). */
  int64_t row_blocks = (M + (int64_t)MR * MC_TILES - 1) / ((int64_t)MR * MC_TILES);
  row_blocks = (row_blocks + threads - 1) / threads * threads;
  int64_t rows_per_block = (M + row_blocks - 1) / row_blocks;
  g.mc_block = (rows_per_block + MR - 1) / MR * MR;
  row_blocks = (M + g.mc_block - 1) / g.mc_block;
  /* A packed MC block serves every B panel of the slice; with ≤ 4 panels that is too little reuse to
     pay for the copy, so full panels of an untransposed A are read in place. */
  g.a_in_place = !transA && (N + NR - 1) / NR <= 4;
  for (g.jc = 0; g.jc < N; g.jc += NC) {
    g.nc = N - g.jc < NC ? N - g.jc : NC;
    int64_t panels = (g.nc + NR - 1) / NR;
    for (g.pc = 0; g.pc < K; g.pc += KC) {
      g.kc = K - g.pc < KC ? K - g.pc : KC;
      g.Bp = ax_exec_scratch(e, AX_SLOT_PACK_B, sizeof(float) * panels * NR * g.kc);
      ax_exec_for(e, panels, 8, pack_b_panels, &g);
      if (row_blocks >= threads)
        ax_exec_for(e, row_blocks, 1, rows_task, &g);
      else
        ax_exec_for(e, panels, 1, cols_task, &g);
    }
  }
}
