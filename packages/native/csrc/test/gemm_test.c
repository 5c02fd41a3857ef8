/* GEMM and convolution against naive loops on odd shapes, every SIMD path and transpose; prints GFLOP/s. */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../alexnet_native.h"

static unsigned rng = 12345;
static float frand(void) {
  rng = rng * 1664525u + 1013904223u;
  return (float)((rng >> 8) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int check_gemm(ax_pool *pool, int tA, int tB, int M, int N, int K, double alpha, double beta) {
  int lda = (tA ? M : K) + 3, ldb = (tB ? K : N) + 1, ldc = N + 2;
  float *A = malloc(sizeof(float) * (tA ? K : M) * lda), *B = malloc(sizeof(float) * (tB ? N : K) * ldb);
  float *C = malloc(sizeof(float) * M * ldc);
  double *R = malloc(sizeof(double) * M * ldc);
  for (int i = 0; i < (tA ? K : M) * lda; i++) A[i] = frand();
  for (int i = 0; i < (tB ? N : K) * ldb; i++) B[i] = frand();
  for (int i = 0; i < M * ldc; i++) C[i] = beta == 0 ? NAN : frand();
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      double s = 0;
      for (int p = 0; p < K; p++) s += (double)(tA ? A[p * lda + i] : A[i * lda + p]) * (tB ? B[j * ldb + p] : B[p * ldb + j]);
      R[i * ldc + j] = alpha * s + (beta == 0 ? 0 : beta * C[i * ldc + j]);
    }
  ax_sgemm(pool, tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  double num = 0, den = 0;
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      double d = C[i * ldc + j] - R[i * ldc + j];
      num += d * d;
      den += R[i * ldc + j] * R[i * ldc + j];
    }
  double rel = sqrt(num / den);
  int ok = rel < 1e-5;
  if (!ok) printf("FAIL %s gemm %c%c %dx%dx%d alpha=%g beta=%g rel=%g\n", ax_simd_path(), tA ? 'T' : 'N', tB ? 'T' : 'N', M, N, K, alpha, beta, rel);
  free(A), free(B), free(C), free(R);
  return ok;
}

static void bench(ax_pool *pool, const char *name, int tA, int tB, int M, int N, int K) {
  float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * K * N), *C = malloc(sizeof(float) * M * N);
  for (long i = 0; i < (long)M * K; i++) A[i] = frand();
  for (long i = 0; i < (long)K * N; i++) B[i] = frand();
  ax_sgemm(pool, tA, tB, M, N, K, 1, A, tA ? M : K, B, tB ? K : N, 0, C, N);
  double best = 1e9;
  for (int r = 0; r < 5; r++) {
    double t = now();
    ax_sgemm(pool, tA, tB, M, N, K, 1, A, tA ? M : K, B, tB ? K : N, 0, C, N);
    t = now() - t;
    if (t < best) best = t;
  }
  printf("  %-28s %5dx%5dx%5d  %7.1f GFLOP/s (%d threads, %s)\n", name, M, N, K, 2.0 * M * N * K / best * 1e-9, ax_pool_threads(pool), ax_simd_path());
  free(A), free(B), free(C);
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 2;
  ax_pool *pool = ax_pool_create(threads, -1);
  const char *paths[] = {"generic", "avx2", "avx512"};
  int fails = 0, runs = 0;
  for (int pi = 0; pi < 3; pi++) {
    if (!ax_force_simd_path(paths[pi])) continue;
    int shapes[][3] = {{1, 1, 1}, {2, 300, 77}, {4, 33, 1000}, {7, 5, 13}, {13, 33, 7}, {25, 70, 300}, {200, 97, 520}, {3, 4000, 9}, {150, 31, 1}, {9, 50, 37}, {32, 300, 70}};
    for (unsigned s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
      for (int tA = 0; tA < 2; tA++)
        for (int tB = 0; tB < 2; tB++) {
          fails += !check_gemm(pool, tA, tB, shapes[s][0], shapes[s][1], shapes[s][2], 1.0, 0.0);
          fails += !check_gemm(pool, tA, tB, shapes[s][0], shapes[s][1], shapes[s][2], -0.5, 1.25);
          runs += 2;
        }
  }
  printf("gemm: %d/%d checks passed\n", runs - fails, runs);
  ax_force_simd_path(argc > 2 ? argv[2] : "avx512");
  bench(pool, "square 1024", 0, 0, 1024, 1024, 1024);
  bench(pool, "conv2 fwd (per image, group)", 0, 0, 128, 729, 1200);
  bench(pool, "conv3 fwd (batch of 1)", 0, 0, 384, 169, 2304);
  bench(pool, "fc6 fwd batch 128 (x W^T)", 0, 1, 128, 4096, 9216);
  bench(pool, "fc6 fwd batch 1", 0, 1, 1, 4096, 9216);
  ax_pool_destroy(pool);
  return fails != 0;
}
