// Global → shared tile loading shared by the SIMT SGEMM (sgemm.cu) and the TF32 tensor-core
// SGEMM (sgemm_tf32.cu). Block tile 128×128, k-step 8, 256 threads; both tiles are stored k-major
// (As[k][m], Bs[k][n], rows padded by 4 floats so the transposing stores hit 32 distinct banks and
// float4 reads stay 16-byte aligned).
//
// Batched GEMM: blockIdx.z = z1·zdiv + z2 selects X + z1·sX1 + z2·sX2 for X in A, B, C — convolutions
// use z1 = image, z2 = group; a plain gemm uses one z.
#pragma once
#include "common.cuh"

#define GM_BM 128
#define GM_BN 128
#define GM_BK 8
#define GM_THREADS 256
#define GM_PAD 4
#define GM_LDS (GM_BM + GM_PAD)

// flags: which operands allow float4 global access (leading dimension and element offset are
// multiples of 4, so every 4-aligned run of a row is 16-byte aligned; buffer bases are ≥16-aligned).
#define GEMM_VEC_A 1
#define GEMM_VEC_B 2
#define GEMM_VEC_C 4

// Loads 4 consecutive elements p[0..3] of a row whose valid length is `lim` elements from p
// (lim ≤ 0: none valid); float4 when allowed and fully in range. Out-of-range elements are 0.
__device__ __forceinline__ void load4(const float* p, int lim, bool vec, float r[4]) {
  if (vec && lim >= 4) {
    float4 v = *reinterpret_cast<const float4*>(p);
    r[0] = v.x; r[1] = v.y; r[2] = v.z; r[3] = v.w;
  } else {
#pragma unroll
    for (int j = 0; j < 4; ++j) r[j] = (j < lim) ? p[j] : 0.f;
  }
}

// One operand tile (128 rows of the M or N side × 8 of K) held in 4 registers per thread.
// CONTIG_K: the operand is contiguous along K (A not transposed, or B transposed): thread t reads
// row t/2, k (t%2)·4..+3 and stores them transposed. Otherwise it is contiguous along M/N: thread t
// reads k-row t/32, columns (t%32)·4..+3 and stores them as one float4.
template <bool CONTIG_K>
struct TileLoader {
  float r[4];
  // X: operand base (already batch-offset); ld: its leading dimension; mn0/k0: tile origin;
  // MN/K: extents of the operand along the M-or-N side and along K.
  __device__ __forceinline__ void load(const float* X, int ld, int mn0, int k0, int MN, int K, bool vec) {
    const int t = threadIdx.x;
    if (CONTIG_K) {
      const int row = mn0 + (t >> 1), k = k0 + (t & 1) * 4;
      if (row < MN) load4(X + (size_t)row * ld + k, K - k, vec, r);
      else r[0] = r[1] = r[2] = r[3] = 0.f;
    } else {
      const int k = k0 + (t >> 5), col = mn0 + (t & 31) * 4;
      if (k < K) load4(X + (size_t)k * ld + col, MN - col, vec, r);
      else r[0] = r[1] = r[2] = r[3] = 0.f;
    }
  }
  __device__ __forceinline__ void store(float (*S)[GM_LDS]) const {
    const int t = threadIdx.x;
    if (CONTIG_K) {
      const int row = t >> 1, k = (t & 1) * 4;
#pragma unroll
      for (int j = 0; j < 4; ++j) S[k + j][row] = r[j];
    } else {
      *reinterpret_cast<float4*>(&S[t >> 5][(t & 31) * 4]) = make_float4(r[0], r[1], r[2], r[3]);
    }
  }
};

// The epilogue for one run of 4 adjacent outputs of row `row` starting at column `col`:
// C = alpha·acc + beta·C (C not read when beta = 0) + bias[row] (when bias is not null).
__device__ __forceinline__ void store4(float* C, int ldc, int row, int col, int M, int N, const float v[4],
                                       float alpha, float beta, const float* bias, bool vec) {
  if (row >= M || col >= N) return;
  const float b = bias ? bias[row] : 0.f;
  float* p = C + (size_t)row * ldc + col;
  if (vec && col + 4 <= N) {
    float4 o;
    if (beta != 0.f) {
      const float4 c = *reinterpret_cast<const float4*>(p);
      o = make_float4(fmaf(alpha, v[0], beta * c.x) + b, fmaf(alpha, v[1], beta * c.y) + b,
                      fmaf(alpha, v[2], beta * c.z) + b, fmaf(alpha, v[3], beta * c.w) + b);
    } else {
      o = make_float4(alpha * v[0] + b, alpha * v[1] + b, alpha * v[2] + b, alpha * v[3] + b);
    }
    *reinterpret_cast<float4*>(p) = o;
  } else {
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      if (col + j >= N) break;
      p[j] = (beta != 0.f ? fmaf(alpha, v[j], beta * p[j]) : alpha * v[j]) + b;
    }
  }
}

// Batch offsets of blockIdx.z (see the header comment).
struct GemmBatch {
  size_t a, b, c;
  int z2;
  __device__ __forceinline__ GemmBatch(int zdiv, int sA1, int sA2, int sB1, int sB2, int sC1, int sC2) {
    const int z = blockIdx.z, z1 = z / zdiv;
    z2 = z - z1 * zdiv;
    a = (size_t)z1 * sA1 + (size_t)z2 * sA2;
    b = (size_t)z1 * sB1 + (size_t)z2 * sB2;
    c = (size_t)z1 * sC1 + (size_t)z2 * sC2;
  }
};

// The C signature shared by every GEMM kernel (SIMT and TF32, all four transpose cases).
#define GEMM_PARAMS                                                                              \
  int M, int N, int K, float alpha, const float* __restrict__ A, int lda, int sA1, int sA2,      \
      const float* __restrict__ B, int ldb, int sB1, int sB2, float beta, float* __restrict__ C, \
      int ldc, int sC1, int sC2, const float* __restrict__ bias, int zdiv, int flags
#define GEMM_ARGS M, N, K, alpha, A, lda, sA1, sA2, B, ldb, sB1, sB2, beta, C, ldc, sC1, sC2, bias, zdiv, flags
