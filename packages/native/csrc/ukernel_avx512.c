/* AVX-512 micro-kernel: 12×32 tile = 24 zmm accumulators, 2 for B, broadcasts folded into the FMAs. */
#if defined(__x86_64__)
#pragma GCC target("avx512f,fma")
#include <immintrin.h>

#include "gemm.h"

static void ukernel_avx512(int64_t kc, const float *Ap, const float *Bp, float *C, int64_t ldc, float alpha) {
#pragma GCC unroll 12
  for (int i = 0; i < 12; i++) { /* the tile's C rows, as in ukernel_avx2.c */
    _mm_prefetch((const char *)(C + i * ldc), _MM_HINT_T0);
    _mm_prefetch((const char *)(C + i * ldc + 31), _MM_HINT_T0);
  }
  __m512 c[12][2];
#pragma GCC unroll 12
  for (int i = 0; i < 12; i++) c[i][0] = c[i][1] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; p++, Ap += 12, Bp += 32) {
    __m512 b0 = _mm512_load_ps(Bp), b1 = _mm512_load_ps(Bp + 16);
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) {
      __m512 a = _mm512_set1_ps(Ap[i]);
      c[i][0] = _mm512_fmadd_ps(a, b0, c[i][0]);
      c[i][1] = _mm512_fmadd_ps(a, b1, c[i][1]);
    }
  }
  __m512 va = _mm512_set1_ps(alpha);
#pragma GCC unroll 12
  for (int i = 0; i < 12; i++) {
    float *row = C + i * ldc;
    _mm512_storeu_ps(row, _mm512_fmadd_ps(va, c[i][0], _mm512_loadu_ps(row)));
    _mm512_storeu_ps(row + 16, _mm512_fmadd_ps(va, c[i][1], _mm512_loadu_ps(row + 16)));
  }
}

static void ukernel_avx512_rows(int64_t kc, const float *A, int64_t lda, const float *Bp, float *C, int64_t ldc,
                                float alpha) {
  __m512 c[12][2];
#pragma GCC unroll 12
  for (int i = 0; i < 12; i++) c[i][0] = c[i][1] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; p++, Bp += 32) {
    __m512 b0 = _mm512_load_ps(Bp), b1 = _mm512_load_ps(Bp + 16);
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) {
      __m512 v = _mm512_set1_ps(A[i * lda + p]);
      c[i][0] = _mm512_fmadd_ps(v, b0, c[i][0]);
      c[i][1] = _mm512_fmadd_ps(v, b1, c[i][1]);
    }
  }
  __m512 va = _mm512_set1_ps(alpha);
#pragma GCC unroll 12
  for (int i = 0; i < 12; i++) {
    float *row = C + i * ldc;
    _mm512_storeu_ps(row, _mm512_fmadd_ps(va, c[i][0], _mm512_loadu_ps(row)));
    _mm512_storeu_ps(row + 16, _mm512_fmadd_ps(va, c[i][1], _mm512_loadu_ps(row + 16)));
  }
}

const ax_simd_t ax_simd_avx512 = {"avx512", 12, 32, ukernel_avx512, ukernel_avx512_rows, ax_pack_bt_avx2, NULL,
                                  ax_dots_avx2};
#endif
