/* Internal: GEMM micro-kernels and the SIMD path table (gemm.c dispatches, ukernel_*.c implement). */
#ifndef AX_GEMM_H
#define AX_GEMM_H
#include <stdint.h>

/**
 * C[0..MR)[0..NR) += alpha · Σ_p Ap[p·MR + i] · Bp[p·NR + j]: one register tile over packed panels
 * (A packed MR rows at a time, k-major; B packed NR columns at a time, k-major).
 */
typedef void (*ax_ukernel_fn)(int64_t kc, const float *Ap, const float *Bp, float *C, int64_t ldc, float alpha);
/**
 * The same tile with A read in place: row i of the tile is A + i·lda, contiguous in k. For GEMMs
 * whose packed A block would serve only a few B panels (gemm.c: a_in_place), where packing A costs
 * as much as the arithmetic.
 */
typedef void (*ax_ukernel_rows_fn)(int64_t kc, const float *A, int64_t lda, const float *Bp, float *C, int64_t ldc,
                                   float alpha);

/**
 * Packs one NR-wide panel of a transposed B: Bp[p·nr + j] = B[j·ldb + p] for j < width, 0 for
 * width ≤ j < nr, p < kc (Bp 32-byte aligned, nr a multiple of 8).
 */
typedef void (*ax_pack_bt_fn)(int64_t kc, const float *B, int64_t ldb, int64_t width, int nr, float *Bp);

/**
 * Packs one MR-tall panel of an untransposed A: Ap[p·mr + i] = A[i·lda + p] for i < height, 0 for
 * height ≤ i < mr, p < kc.
 */
typedef void (*ax_pack_a_fn)(int64_t kc, const float *A, int64_t lda, int64_t height, float *Ap);

/**
 * out[i] = Σ_p A[i·lda + p] · b[p] for i < m (1 ≤ m ≤ 4), p < n: a few rows against one row of a
 * transposed B, read once for all of them (a fully connected layer's x·Wᵀ at batch 1–4).
 */
typedef void (*ax_dots_fn)(int m, const float *A, int64_t lda, const float *b, int64_t n, float *out);

typedef struct {
  const char *name;
  int mr, nr;
  ax_ukernel_fn kernel;
  ax_ukernel_rows_fn kernel_rows;
  ax_pack_bt_fn pack_bt; /* NULL: gemm.c's scalar loop */
  ax_pack_a_fn pack_a;   /* NULL: gemm.c's scalar loop */
  ax_dots_fn dots;       /* NULL: gemm.c's scalar loop */
} ax_simd_t;

#if defined(__x86_64__)
/** The AVX2 transposed-panel packer (8×8 blocks transposed in registers), shared by the AVX-512 path. */
void ax_pack_bt_avx2(int64_t kc, const float *B, int64_t ldb, int64_t width, int nr, float *Bp);
/** The AVX2 dot products of ax_dots_fn, shared by the AVX-512 path. */
void ax_dots_avx2(int m, const float *A, int64_t lda, const float *b, int64_t n, float *out);
#endif

extern const ax_simd_t ax_simd_generic;
#if defined(__x86_64__)
extern const ax_simd_t ax_simd_avx2;
extern const ax_simd_t ax_simd_avx512;
#endif

/* scratch slots (pool.h ax_scratch); AX_SLOT_CONV_DW holds a thread's filter-gradient partial sums,
   AX_SLOT_SWAP the transposed result of a swapped GEMM (gemm.c) */
enum { AX_SLOT_PACK_A = 0, AX_SLOT_TILE = 1, AX_SLOT_PACK_B = 2, AX_SLOT_CONV = 3, AX_SLOT_CONV_OUT = 4, AX_SLOT_CONV_DW = 5,
       AX_SLOT_SWAP = 6, AX_SLOT_CONV_W = 7 };

/* Depth of one packed K slice, for gemm.c and for A packed ahead (gemm_packed.c). */
enum { AX_GEMM_KC = 256 };

/** The micro-kernel table in use (detected once from the CPU, or forced by ax_force_simd_path). */
const ax_simd_t *ax_simd(void);

/**
 * Packs rows [row, row+height) (height ≤ MR) × columns [pc, pc+kc) of op(A) — A row-major with lda,
 * K×M when transA — into one MR-tall panel, zero-padded below height: s->pack_a where it applies,
 * else plain loops. Shared by gemm.c and the ahead-of-time packing of gemm_packed.c.
 */
void ax_pack_a_panel(const ax_simd_t *s, int transA, const float *A, int64_t lda, int64_t row, int64_t height,
                     int64_t pc, int64_t kc, float *Ap);

#include "pool.h"
/** ax_sgemm on an exec: the whole pool, or serially on one thread inside another parallel loop. */
void ax_sgemm_exec(ax_exec e, int transA, int transB, int M, int N, int K, double alpha, const float *A, int lda,
                   const float *B, int ldb, double beta, float *C, int ldc);

/*
 * A GEMM whose A is packed once and reused (gemm_packed.c): ax_pack_a_all packs op(A), M×K, of a
 * row-major A (lda; transA: A is K×M) into every KC slice's MR-tall panels — ax_packed_a_floats(M, K) floats — and
 * ax_sgemm_packed computes C += A·B on one exec, with B's KC×NC blocks packed into NR-wide panels
 * (zero-padded past nc) by pack_b: rows [pc, pc+kc), columns [j0, j0+nc) of B, panel jr at
 * Bp + jr·panel_stride.
 */
typedef void (*ax_pack_b_fn)(void *ctx, int64_t pc, int64_t kc, int64_t j0, int64_t nc, float *Bp,
                             int64_t panel_stride);
int64_t ax_packed_a_floats(int M, int K);
void ax_pack_a_all(ax_exec e, int transA, const float *A, int lda, int M, int K, float *dst);
void ax_sgemm_packed(ax_exec e, const float *Ap, int M, int N, int K, ax_pack_b_fn pack_b, void *pack_ctx,
                     float *C, int ldc);
#endif
