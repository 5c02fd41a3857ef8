// SIMT SGEMM, promoted from dev/gemm.cu (version 3): C[z] = alpha·op(A[z])·op(B[z]) + beta·C[z]
// (+ bias[z2·M + row]), row-major, exact float32 FMA arithmetic (no TF32).
// Block tile 128×128×8, 256 threads as 16×16, each thread an 8×8 register block (rows ty·4+{0..3}
// and 64+ty·4+{0..3}, likewise columns), double-buffered shared tiles with a register prefetch of
// the next k-step, float4 global and shared access where aligned.
// Launch: grid (ceil(N/128), ceil(M/128), batches), block 256, no dynamic shared memory.
#include "gemm_tiles.cuh"

template <bool TA, bool TB>
__device__ __forceinline__ void sgemm_body(GEMM_PARAMS) {
  __shared__ __align__(16) float As[2][GM_BK][GM_LDS];
  __shared__ __align__(16) float Bs[2][GM_BK][GM_LDS];
  const GemmBatch zb(zdiv, sA1, sA2, sB1, sB2, sC1, sC2);
  A += zb.a;
  B += zb.b;
  C += zb.c;
  if (bias) bias += (size_t)zb.z2 * M;
  const int row0 = blockIdx.y * GM_BM, col0 = blockIdx.x * GM_BN;
  const int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
  const bool vecA = flags & GEMM_VEC_A, vecB = flags & GEMM_VEC_B;

  TileLoader<!TA> la;  // A is contiguous along K unless transposed
  TileLoader<TB> lb;   // B is contiguous along K only when transposed
  float acc[8][8];
#pragma unroll
  for (int i = 0; i < 8; ++i)
#pragma unroll
    for (int j = 0; j < 8; ++j) acc[i][j] = 0.f;

  la.load(A, lda, row0, 0, M, K, vecA);
  lb.load(B, ldb, col0, 0, N, K, vecB);
  la.store(As[0]);
  lb.store(Bs[0]);
  __syncthreads();
  int cur = 0;
  for (int k0 = 0; k0 < K; k0 += GM_BK) {
    const bool more = k0 + GM_BK < K;
    if (more) {  // prefetch the next k-step into registers while this one computes
      la.load(A, lda, row0, k0 + GM_BK, M, K, vecA);
      lb.load(B, ldb, col0, k0 + GM_BK, N, K, vecB);
    }
#pragma unroll
    for (int k = 0; k < GM_BK; ++k) {
      const float4 a0 = *reinterpret_cast<const float4*>(&As[cur][k][ty * 4]);
      const float4 a1 = *reinterpret_cast<const float4*>(&As[cur][k][64 + ty * 4]);
      const float4 b0 = *reinterpret_cast<const float4*>(&Bs[cur][k][tx * 4]);
      const float4 b1 = *reinterpret_cast<const float4*>(&Bs[cur][k][64 + tx * 4]);
      const float a[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
      const float b[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
      for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    if (more) {  // the other buffer was last read before the previous barrier
      la.store(As[cur ^ 1]);
      lb.store(Bs[cur ^ 1]);
    }
    __syncthreads();
    cur ^= 1;
  }

  const bool vecC = flags & GEMM_VEC_C;
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    const int row = row0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + i - 4);
    store4(C, ldc, row, col0 + tx * 4, M, N, &acc[i][0], alpha, beta, bias, vecC);
    store4(C, ldc, row, col0 + 64 + tx * 4, M, N, &acc[i][4], alpha, beta, bias, vecC);
  }
}

// The four transpose cases as separate kernels so the loaders are specialised at compile time.
extern "C" __global__ void __launch_bounds__(GM_THREADS, 2) sgemm_nn(GEMM_PARAMS) { sgemm_body<false, false>(GEMM_ARGS); }
extern "C" __global__ void __launch_bounds__(GM_THREADS, 2) sgemm_nt(GEMM_PARAMS) { sgemm_body<false, true>(GEMM_ARGS); }
extern "C" __global__ void __launch_bounds__(GM_THREADS, 2) sgemm_tn(GEMM_PARAMS) { sgemm_body<true, false>(GEMM_ARGS); }
extern "C" __global__ void __launch_bounds__(GM_THREADS, 2) sgemm_tt(GEMM_PARAMS) { sgemm_body<true, true>(GEMM_ARGS); }
