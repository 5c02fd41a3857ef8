// TF32 tensor-core SGEMM (opt-in, off by default): same signature, tiles and loaders as sgemm.cu,
// but the products use TF32 inputs (10-bit mantissa) with float32 accumulation via wmma m16n16k8,
// so results differ from float32 by ~1e-3 relative. 8 warps as 2 (M) × 4 (N), each warp a 64×32
// block = 4×2 accumulator fragments. The shared tiles are k-major, i.e. A is read as a col_major
// matrix_a (element (m,k) at As[k][m]) and B as a row_major matrix_b.
// Under ALEXNET_EMU (CPU emulation) there are no tensor cores: emu/wmma_emu.h stands in for
// <mma.h> with whole-tile scalar fragments and the same TF32 rounding, so the tile logic of this
// kernel is checked on the CPU too — but not the tensor-core hardware path itself.
#include "gemm_tiles.cuh"

#ifdef ALEXNET_EMU
#include "emu/wmma_emu.h"
#else
#include <mma.h>
#endif
using namespace nvcuda;

template <bool TA, bool TB>
__device__ __forceinline__ void sgemm_tf32_body(GEMM_PARAMS) {
  __shared__ __align__(32) float As[2][GM_BK][GM_LDS];
  __shared__ __align__(32) float Bs[2][GM_BK][GM_LDS];
  __shared__ __align__(32) float stage[8][16 * 16];  // per-warp epilogue staging
  const GemmBatch zb(zdiv, sA1, sA2, sB1, sB2, sC1, sC2);
  A += zb.a;
  B += zb.b;
  C += zb.c;
  if (bias) bias += (size_t)zb.z2 * M;
  const int row0 = blockIdx.y * GM_BM, col0 = blockIdx.x * GM_BN;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int wm = (warp >> 2) * 64, wn = (warp & 3) * 32;
  const bool vecA = flags & GEMM_VEC_A, vecB = flags & GEMM_VEC_B;

  TileLoader<!TA> la;
  TileLoader<TB> lb;
  wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[4][2];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.f);

  la.load(A, lda, row0, 0, M, K, vecA);
  lb.load(B, ldb, col0, 0, N, K, vecB);
  la.store(As[0]);
  lb.store(Bs[0]);
  __syncthreads();
  int cur = 0;
  for (int k0 = 0; k0 < K; k0 += GM_BK) {
    const bool more = k0 + GM_BK < K;
    if (more) {
      la.load(A, lda, row0, k0 + GM_BK, M, K, vecA);
      lb.load(B, ldb, col0, k0 + GM_BK, N, K, vecB);
    }
    wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::col_major> fa[4];
    wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> fb[2];
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      wmma::load_matrix_sync(fa[i], &As[cur][0][wm + 16 * i], GM_LDS);
#pragma unroll
      for (int e = 0; e < fa[i].num_elements; ++e) fa[i].x[e] = wmma::__float_to_tf32(fa[i].x[e]);
    }
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      wmma::load_matrix_sync(fb[j], &Bs[cur][0][wn + 16 * j], GM_LDS);
#pragma unroll
      for (int e = 0; e < fb[j].num_elements; ++e) fb[j].x[e] = wmma::__float_to_tf32(fb[j].x[e]);
    }
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
      for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
    if (more) {
      la.store(As[cur ^ 1]);
      lb.store(Bs[cur ^ 1]);
    }
    __syncthreads();
    cur ^= 1;
  }

  // Epilogue through a per-warp 16×16 staging tile: lane l handles row l/2, columns (l%2)·8..+7.
  const bool vecC = flags & GEMM_VEC_C;
  float* st = stage[warp];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      wmma::store_matrix_sync(st, acc[i][j], 16, wmma::mem_row_major);
      __syncwarp();
      const int r = lane >> 1, c = (lane & 1) * 8;
      const int row = row0 + wm + 16 * i + r, col = col0 + wn + 16 * j + c;
      store4(C, ldc, row, col, M, N, st + r * 16 + c, alpha, beta, bias, vecC);
      store4(C, ldc, row, col + 4, M, N, st + r * 16 + c + 4, alpha, beta, bias, vecC);
      __syncwarp();
    }
}

extern "C" __global__ void __launch_bounds__(GM_THREADS, 2) sgemm_tf32_nn(GEMM_PARAMS) { sgemm_tf32_body<false, false>(GEMM_ARGS); }
extern "C" __global__ void __launch_bounds__(GM_THREADS, 2) sgemm_tf32_nt(GEMM_PARAMS) { sgemm_tf32_body<false, true>(GEMM_ARGS); }
extern "C" __global__ void __launch_bounds__(GM_THREADS, 2) sgemm_tf32_tn(GEMM_PARAMS) { sgemm_tf32_body<true, false>(GEMM_ARGS); }
extern "C" __global__ void __launch_bounds__(GM_THREADS, 2) sgemm_tf32_tt(GEMM_PARAMS) { sgemm_tf32_body<true, true>(GEMM_ARGS); }
