/* AVX2 + FMA micro-kernel: 6×16 tile = 12 ymm accumulators, 2 for B, 1 broadcast (of 16 registers). */
#if defined(__x86_64__)
#pragma GCC target("avx2,fma")
#include <immintrin.h>

#include "gemm.h"

/* The tile's C rows are fetched while the k loop runs: they are written once per KC slice and are
   far apart (ldc), so without a hint each kernel ended on 6–12 cache misses — 1.05–1.2× on AlexNet's
   convolutions and large-N GEMMs. */
static inline void prefetch_c(const float *C, int64_t ldc) {
#pragma GCC unroll 6
  for (int i = 0; i < 6; i++) {
    _mm_prefetch((const char *)(C + i * ldc), _MM_HINT_T0);
    _mm_prefetch((const char *)(C + i * ldc + 15), _MM_HINT_T0);
  }
}

static void ukernel_avx2(int64_t kc, const float *Ap, const float *Bp, float *C, int64_t ldc, float alpha) {
  prefetch_c(C, ldc);
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
  prefetch_c(C, ldc);
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

/* 8 rows × 8 columns → 8 × 8, transposed in registers: out[i] holds column i of v. */
static inline void transpose8(const __m256 v[8], __m256 out[8]) {
  __m256 t[8], u[8];
#pragma GCC unroll 4
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(v[i], v[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(v[i], v[i + 1]);
  }
#pragma GCC unroll 2
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
#pragma GCC unroll 4
  for (int i = 0; i < 4; i++) {
    out[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
    out[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
  }
}

/* A transposed B panel (x·Wᵀ: each output column is a row of W) was packed one scalar at a time,
   a third of a fully connected layer's forward time; 8×8 blocks moved as vectors instead. */
void ax_pack_bt_avx2(int64_t kc, const float *B, int64_t ldb, int64_t width, int nr, float *Bp) {
  int64_t j0 = 0;
  for (; j0 + 8 <= width; j0 += 8) {
    const float *r = B + j0 * ldb;
    int64_t p = 0;
    for (; p + 8 <= kc; p += 8) {
      __m256 v[8], o[8];
#pragma GCC unroll 8
      for (int i = 0; i < 8; i++) v[i] = _mm256_loadu_ps(r + i * ldb + p);
      transpose8(v, o);
      float *out = Bp + p * nr + j0; /* row p + i of the panel gets column p + i of the 8 rows */
#pragma GCC unroll 8
      for (int i = 0; i < 8; i++) _mm256_store_ps(out + i * nr, o[i]);
    }
    for (; p < kc; p++)
      for (int i = 0; i < 8; i++) Bp[p * nr + j0 + i] = r[i * ldb + p];
  }
  for (; j0 < width; j0++)
    for (int64_t p = 0; p < kc; p++) Bp[p * nr + j0] = B[j0 * ldb + p];
  for (int64_t p = 0; p < kc; p++)
    for (int64_t j = width; j < nr; j++) Bp[p * nr + j] = 0.0f;
}

/* A 6-row panel of A, 8 columns at a time: the 6 rows (and 2 dummies) transposed in registers, each
   column stored as 8 floats whose last 2 the next column's store overwrites. Packing A one scalar at
   a time took a fifth of a conv3-shaped GEMM (384 × 169 × 2304), where each element serves 169
   columns only. */
static void pack_a_avx2(int64_t kc, const float *A, int64_t lda, int64_t height, float *Ap) {
  int64_t p = 0;
  if (height == 6) {
    const __m256i six = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
    for (; p + 8 <= kc; p += 8) {
      __m256 v[8], o[8];
#pragma GCC unroll 6
      for (int i = 0; i < 6; i++) v[i] = _mm256_loadu_ps(A + i * lda + p);
      v[6] = v[7] = _mm256_setzero_ps();
      transpose8(v, o);
      float *out = Ap + p * 6;
#pragma GCC unroll 7
      for (int i = 0; i < 7; i++) _mm256_storeu_ps(out + 6 * i, o[i]);
      _mm256_maskstore_ps(out + 42, six, o[7]); /* the panel's last 6 floats: nothing past them */
    }
  }
  for (; p < kc; p++)
    for (int i = 0; i < 6; i++) Ap[p * 6 + i] = i < height ? A[i * lda + p] : 0.0f;
}

/* A fully connected layer at batch 1–4 is dot products against W's rows, bound by reading W (fc6:
   151 MB per call). The scalar loop (4 partial sums: without -ffast-math the compiler keeps the
   order, so it cannot vectorise) was compute-bound below that: fc6 at batch 1 took 9.5 ms, where
   onnxruntime-node's GEMV took 5.3. Two 8-wide partial sums per row, each row of W read once. */
void ax_dots_avx2(int m, const float *A, int64_t lda, const float *b, int64_t n, float *out) {
  __m256 acc[4][2];
  for (int i = 0; i < 4; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  int64_t p = 0;
  for (; p + 16 <= n; p += 16) {
    const __m256 b0 = _mm256_loadu_ps(b + p), b1 = _mm256_loadu_ps(b + p + 8);
    for (int i = 0; i < m; i++) {
      acc[i][0] = _mm256_fmadd_ps(_mm256_loadu_ps(A + i * lda + p), b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(_mm256_loadu_ps(A + i * lda + p + 8), b1, acc[i][1]);
    }
  }
  for (int i = 0; i < m; i++) {
    const __m256 v = _mm256_add_ps(acc[i][0], acc[i][1]);
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
    float sum = _mm_cvtss_f32(h);
    for (int64_t q = p; q < n; q++) sum += A[i * lda + q] * b[q];
    out[i] = sum;
  }
}

const ax_simd_t ax_simd_avx2 = {"avx2", 6, 16, ukernel_avx2, ukernel_avx2_rows, ax_pack_bt_avx2, pack_a_avx2,
                                ax_dots_avx2};
#endif
