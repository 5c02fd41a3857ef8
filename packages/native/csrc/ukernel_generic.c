/* Portable micro-kernel (any CPU): 4×8 tile, plain C the compiler may vectorise. */
#include "gemm.h"

static void ukernel_generic(int64_t kc, const float *Ap, const float *Bp, float *C, int64_t ldc, float alpha) {
  float acc[4][8] = {{0}};
  for (int64_t p = 0; p < kc; p++, Ap += 4, Bp += 8)
    for (int i = 0; i < 4; i++)
      for (int j = 0; j < 8; j++) acc[i][j] += Ap[i] * Bp[j];
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 8; j++) C[i * ldc + j] += alpha * acc[i][j];
}

static void ukernel_generic_rows(int64_t kc, const float *A, int64_t lda, const float *Bp, float *C, int64_t ldc,
                                 float alpha) {
  float acc[4][8] = {{0}};
  for (int64_t p = 0; p < kc; p++, Bp += 8)
    for (int i = 0; i < 4; i++)
      for (int j = 0; j < 8; j++) acc[i][j] += A[i * lda + p] * Bp[j];
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 8; j++) C[i * ldc + j] += alpha * acc[i][j];
}

const ax_simd_t ax_simd_generic = {"generic", 4, 8, ukernel_generic, ukernel_generic_rows, NULL, NULL, NULL};
