/* AVX2 + FMA micro-kernel: 6×16 tile = 12 ymm accumulators, 2 for B, 1 broadcast (of 16 registers). */
#if defined(__x86_64__)
#pragma GCC target("avx2,fma")
#include <immintrin.h>

#include "gemm.h"

static void ukernel_avx2(int64_t kc, const float *Ap, const float *Bp, float *C, int64_t ldc, float alpha) {
  __m256 c[6][2];
#pragma GCC unroll 6
  for (int i = 0; i < 6; i++) c[i][0] = c[i][1] = _mm256_setzero_ps();
  for (int64_t p = 0; p < kc; p++, Ap += 6, Bp += 16) {
    __m256 b0 = _mm256_load_ps(Bp), b1 = _mm256_load_ps(Bp + 8);
#pragma GCC unroll 6
    for (int i = 0; i < 6; i++) {
      __m256 a = _mm256_broadcast_ss(Ap + i);
      c[i][0] = _mm256_fmadd_ps(a, b0, c[i][0]);
      c[i][1] = _mm256_fmadd_ps(a, b1, c[i][1]);
    }
  }
  __m256 va = _mm256_set1_ps(alpha);
#pragma GCC unroll 6
  for (int i = 0; i < 6; i++) {
    float *row = C + i * ldc;
    _mm256_storeu_ps(row, _mm256_fmadd_ps(va, c[i][0], _mm256_loadu_ps(row)));
    _mm256_storeu_ps(row + 8, _mm256_fmadd_ps(va, c[i][1], _mm256_loadu_ps(row + 8)));
  }
}

static void ukernel_avx2_rows(int64_t kc, const float *A, int64_t lda, const float *Bp, float *C, int64_t ldc,
                              float alpha) {
  const float *a[6];
#pragma GCC unroll 6
  for (int i = 0; i < 6; i++) a[i] = A + i * lda;
  __m256 c[6][2];
#pragma GCC unroll 6
  for (int i = 0; i < 6; i++) c[i][0] = c[i][1] = _mm256_setzero_ps();
  for (int64_t p = 0; p < kc; p++, Bp += 16) {
    __m256 b0 = _mm256_load_ps(Bp), b1 = _mm256_load_ps(Bp + 8);
#pragma GCC unroll 6
    for (int i = 0; i < 6; i++) {
      __m256 v = _mm256_broadcast_ss(a[i] + p);
      c[i][0] = _mm256_fmadd_ps(v, b0, c[i][0]);
      c[i][1] = _mm256_fmadd_ps(v, b1, c[i][1]);
    }
  }
  __m256 va = _mm256_set1_ps(alpha);
#pragma GCC unroll 6
  for (int i = 0; i < 6; i++) {
    float *row = C + i * ldc;
    _mm256_storeu_ps(row, _mm256_fmadd_ps(va, c[i][0], _mm256_loadu_ps(row)));
    _mm256_storeu_ps(row + 8, _mm256_fmadd_ps(va, c[i][1], _mm256_loadu_ps(row + 8)));
  }
}

const ax_simd_t ax_simd_avx2 = {"avx2", 6, 16, ukernel_avx2, ukernel_avx2_rows};
#endif
