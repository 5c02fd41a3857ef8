/*
 * The machine's ceiling next to our GEMM: the FMA peak of the cores (independent AVX-512 or AVX2 FMA
 * chains, nothing else), OpenBLAS cblas_sgemm when linked (-DHAVE_OPENBLAS), and @alexnet/native's
 * ax_sgemm, on AlexNet's GEMM shapes at batch 128, with 1 thread and with every core.
 * Prints one JSON document on stdout. Built and run by src/ceiling/gemm-ceiling.ts.
 */
#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alexnet_native.h"
#ifdef HAVE_OPENBLAS
#include <cblas.h>
void openblas_set_num_threads(int);
#endif

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* ---- FMA peak: 12 independent accumulators per thread hide the FMA latency ---- */
static long PEAK_ITERS = 20000000L;
static int smoke;
__attribute__((target("avx512f"))) static double peak_avx512(void) {
  __m512 acc[12], a = _mm512_set1_ps(1.0000001f), b = _mm512_set1_ps(0.9999999f);
  for (int i = 0; i < 12; i++) acc[i] = _mm512_set1_ps((float)i);
  double t = now();
  for (long it = 0; it < PEAK_ITERS; it++)
    for (int i = 0; i < 12; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  t = now() - t;
  float sink = 0;
  for (int i = 0; i < 12; i++) sink += _mm512_reduce_add_ps(acc[i]);
  if (sink == 42.0f) puts("");
  return 12.0 * 16 * 2 * PEAK_ITERS / t * 1e-9;
}
__attribute__((target("avx2,fma"))) static double peak_avx2(void) {
  __m256 acc[12], a = _mm256_set1_ps(1.0000001f), b = _mm256_set1_ps(0.9999999f);
  for (int i = 0; i < 12; i++) acc[i] = _mm256_set1_ps((float)i);
  double t = now();
  for (long it = 0; it < PEAK_ITERS; it++)
    for (int i = 0; i < 12; i++) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  t = now() - t;
  float out[8], sink = 0;
  for (int i = 0; i < 12; i++) {
    _mm256_storeu_ps(out, acc[i]);
    sink += out[0];
  }
  if (sink == 42.0f) puts("");
  return 12.0 * 8 * 2 * PEAK_ITERS / t * 1e-9;
}
static int use512;
static void *peak_thread(void *out) {
  *(double *)out = use512 ? peak_avx512() : peak_avx2();
  return NULL;
}
static double peak(int threads) {
  pthread_t th[64];
  double r[64];
  for (int i = 0; i < threads; i++) pthread_create(&th[i], NULL, peak_thread, &r[i]);
  double sum = 0;
  for (int i = 0; i < threads; i++) pthread_join(th[i], NULL), sum += r[i];
  return sum;
}

/* ---- GEMM shapes ---- */
typedef struct {
  const char *name;
  int tA, tB, M, N, K;
} shape_t;
static const shape_t shapes[] = {
    {"conv1 fwd (per image)", 0, 0, 96, 3025, 363},       {"conv2 fwd (per image, group)", 0, 0, 128, 729, 1200},
    {"conv3 fwd (per image)", 0, 0, 384, 169, 2304},      {"conv4 fwd (per image, group)", 0, 0, 192, 169, 1728},
    {"conv5 fwd (per image, group)", 0, 0, 128, 169, 1728}, {"fc6 fwd b128 (x·Wᵀ)", 0, 1, 128, 4096, 9216},
    {"fc6 bwd-data b128 (dy·W)", 0, 0, 128, 9216, 4096},  {"fc6 bwd-filter b128 (dyᵀ·x)", 1, 0, 4096, 9216, 128},
    {"fc7 fwd b128 (x·Wᵀ)", 0, 1, 128, 4096, 4096},       {"fc8 fwd b128 (x·Wᵀ)", 0, 1, 128, 1000, 4096},
};

typedef void (*gemm_fn)(void *ctx, const shape_t *s, const float *A, const float *B, float *C);
static void run_native(void *ctx, const shape_t *s, const float *A, const float *B, float *C) {
  ax_sgemm((ax_pool *)ctx, s->tA, s->tB, s->M, s->N, s->K, 1.0, A, s->tA ? s->M : s->K, B, s->tB ? s->K : s->N,
           0.0, C, s->N);
}
#ifdef HAVE_OPENBLAS
static void run_openblas(void *ctx, const shape_t *s, const float *A, const float *B, float *C) {
  (void)ctx;
  cblas_sgemm(CblasRowMajor, s->tA ? CblasTrans : CblasNoTrans, s->tB ? CblasTrans : CblasNoTrans, s->M, s->N, s->K,
              1.0f, A, s->tA ? s->M : s->K, B, s->tB ? s->K : s->N, 0.0f, C, s->N);
}
#endif

static double time_once(gemm_fn fn, void *ctx, const shape_t *s, const float *A, const float *B, float *C) {
  double t = now();
  fn(ctx, s, A, B, C);
  return now() - t;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

enum { MAX_ROUNDS = 41 };

/*
 * Native and OpenBLAS take turns, one call each per round, so a load that drifts on a shared machine
 * hits both alike: each one's best time gives its GFLOP/s, and the median of the per-round ratios
 * (OpenBLAS time ÷ native time: native's speed as a fraction of OpenBLAS's) compares them. At least 5
 * rounds, then more until 0.6 s have passed (1 round in smoke mode).
 */
static void time_pair(const shape_t *s, void *pool, const float *A, const float *B, float *C, double *native,
                      double *blas, double *ratio, int *rounds) {
  double flops = 2.0 * s->M * s->N * s->K, best_n = 1e30, best_b = 1e30, ratios[MAX_ROUNDS];
  int r = 0;
  run_native(pool, s, A, B, C); /* warm-up */
#ifdef HAVE_OPENBLAS
  run_openblas(NULL, s, A, B, C);
#endif
  double t0 = now();
  while (r < (smoke ? 1 : 5) || (!smoke && now() - t0 < 0.6 && r < MAX_ROUNDS)) {
    double tn = time_once(run_native, pool, s, A, B, C);
    if (tn < best_n) best_n = tn;
#ifdef HAVE_OPENBLAS
    double tb = time_once(run_openblas, NULL, s, A, B, C);
    if (tb < best_b) best_b = tb;
    ratios[r] = tb / tn;
#endif
    r++;
  }
  *native = flops / best_n * 1e-9;
  *blas = best_b < 1e30 ? flops / best_b * 1e-9 : -1;
  *ratio = -1;
  if (*blas >= 0) {
    qsort(ratios, (size_t)r, sizeof ratios[0], cmp_double);
    *ratio = r % 2 ? ratios[r / 2] : 0.5 * (ratios[r / 2 - 1] + ratios[r / 2]);
  }
  *rounds = r;
}

int main(int argc, char **argv) {
  int maxThreads = argc > 1 ? atoi(argv[1]) : 2;
  smoke = argc > 2 && !strcmp(argv[2], "smoke");
  if (smoke) PEAK_ITERS = 200000L; /* CI: proves it builds and runs, measures nothing */
  __builtin_cpu_init();
  use512 = __builtin_cpu_supports("avx512f");
  printf("{\n  \"simd\": \"%s\",\n  \"nativeSimdPath\": \"%s\",\n", use512 ? "avx512" : "avx2", ax_simd_path());
  printf("  \"openblas\": %s,\n", 
#ifdef HAVE_OPENBLAS
         "true"
#else
         "false"
#endif
  );
  printf("  \"peak\": [");
  for (int t = 1; t <= maxThreads; t++) printf("%s{\"threads\": %d, \"gflops\": %.1f}", t > 1 ? ", " : "", t, peak(t));
  printf("],\n  \"gemm\": [\n");
  int first = 1;
  for (int threads = 1; threads <= maxThreads; threads = threads == maxThreads ? maxThreads + 1 : maxThreads) {
    ax_pool *pool = ax_pool_create(threads, -1);
#ifdef HAVE_OPENBLAS
    openblas_set_num_threads(threads);
#endif
    for (unsigned i = 0; i < (smoke ? 1 : sizeof shapes / sizeof shapes[0]); i++) {
      const shape_t *s = &shapes[i];
      size_t na = (size_t)s->M * s->K, nb = (size_t)s->K * s->N, nc = (size_t)s->M * s->N;
      float *A = malloc(na * 4), *B = malloc(nb * 4), *C = malloc(nc * 4);
      for (size_t k = 0; k < na; k++) A[k] = (float)((k * 7919) % 1000) * 1e-3f - 0.5f;
      for (size_t k = 0; k < nb; k++) B[k] = (float)((k * 104729) % 1000) * 1e-3f - 0.5f;
      double native, blas, ratio;
      int rounds;
      time_pair(s, pool, A, B, C, &native, &blas, &ratio, &rounds);
      char blasText[32] = "null", ratioText[32] = "null";
      if (blas >= 0) snprintf(blasText, sizeof blasText, "%.2f", blas);
      if (ratio >= 0) snprintf(ratioText, sizeof ratioText, "%.4f", ratio);
      printf("%s    {\"shape\": \"%s\", \"transA\": %d, \"transB\": %d, \"m\": %d, \"n\": %d, \"k\": %d, \"threads\": %d, "
             "\"nativeGflops\": %.2f, \"openblasGflops\": %s, \"pairedRatio\": %s, \"rounds\": %d}",
             first ? "" : ",\n", s->name, s->tA, s->tB, s->M, s->N, s->K, threads, native, blasText, ratioText, rounds);
      first = 0;
      free(A), free(B), free(C);
    }
    ax_pool_destroy(pool);
  }
  printf("\n  ]\n}\n");
  return 0;
}
